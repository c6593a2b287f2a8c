"""The draft's steps: write the message, upload recipients, preview, send a test."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HTMX_STOP_POLLING

from campaigns import selectors, services
from campaigns.forms import EmailTemplateForm, RecipientUploadForm, TestSendForm
from campaigns.models import Campaign, Channel, RecipientFile, RecipientFileStatus
from campaigns.recipient_files import MAX_FILE_BYTES
from campaigns.templating import TemplateError
from campaigns.views.access import OfficerRequest, campaign_view
from channels_email import identities
from channels_sms import selectors as sms_selectors
from channels_sms import views as sms_views
from common.uploads import refused_upload_limit
from protected_email import views as protected_views

# The preview is the officer's own HTML with a recipient's values in it: render it in a sandbox
# with no scripts, no requests but images, and the inline styles that email layouts rely on.
PREVIEW_CSP: dict[str, Any] = {
    "sandbox": True,
    "default-src": [CSP.NONE],
    "img-src": ["https:", "data:"],
    "style-src": [CSP.UNSAFE_INLINE],
}


def _locked(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    messages.info(
        request, "This campaign has been sent or scheduled; its message and recipients can no longer change."
    )
    return redirect("campaigns:detail", pk=campaign.pk)


def _steps(campaign: Campaign, recipient_file: RecipientFile | None, active: int) -> dict[str, Any]:
    return {"steps": selectors.campaign_steps(campaign, recipient_file), "active_step": active}


@campaign_view
@require_http_methods(["GET", "POST"])
def template(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    if not campaign.is_editable:
        return _locked(request, campaign)
    if campaign.channel == Channel.SMS:
        return sms_views.template_page(request, campaign)
    if campaign.protected:
        return protected_views.template_page(request, campaign)
    initial = {
        "subject": campaign.subject,
        "body": campaign.body,
        "body_format": campaign.body_format,
        "sender_name": campaign.sender_name,
        "reply_to": campaign.reply_to or request.user.email,
        "from_email": campaign.from_email,
        "show_agency_logo": campaign.show_agency_logo,
        "track_opens": campaign.track_opens,
    }
    form = EmailTemplateForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        platform_address=identities.platform_address(),
        from_addresses=identities.usable_from_addresses(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_email_template(campaign=campaign, **form.cleaned_data)
        except services.CampaignError as error:
            form.add_error(None, str(error))
        except TemplateError as error:
            form.add_error(None, [problem.message for problem in error.problems])
        else:
            messages.success(request, "Message saved.")
            return redirect("campaigns:recipients", pk=campaign.pk)
    context = {"campaign": campaign, "form": form, "columns": selectors.file_columns(campaign)}
    context |= _steps(campaign, selectors.current_recipient_file(campaign), 1)
    return render(request, "campaigns/template.html", context)


def _file_context(campaign: Campaign, recipient_file: RecipientFile | None) -> dict[str, Any]:
    context: dict[str, Any] = {"campaign": campaign, "recipient_file": recipient_file, "ingesting": False}
    if recipient_file is None:
        return context
    if recipient_file.status == RecipientFileStatus.READY:
        context["preview"] = services.preview_first(campaign)
        if campaign.channel == Channel.SMS:
            context["sms"] = sms_selectors.campaign_sms_settings(campaign)
    elif recipient_file.status != RecipientFileStatus.FAILED:
        context |= {"ingesting": True, "rows_read": selectors.ingest_rows_read(recipient_file)}
    return context


@campaign_view
@require_http_methods(["GET", "POST"])
def recipients(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    if request.method == "POST":
        return _upload(request, campaign)
    recipient_file = selectors.current_recipient_file(campaign)
    context = _file_context(campaign, recipient_file)
    if request.htmx:
        status = 200 if context["ingesting"] else HTMX_STOP_POLLING
        return render(request, "campaigns/recipients.html#ingest-status", context, status=status)
    if not campaign.is_editable:
        return _locked(request, campaign)
    context |= {
        "form": RecipientUploadForm(),
        "columns": selectors.file_columns(campaign),
        "max_bytes": MAX_FILE_BYTES,
    }
    context |= _steps(campaign, recipient_file, 2)
    return render(request, "campaigns/recipients.html", context)


def _upload(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    # Always redirect, also on errors: upload.js follows the response URL after its upload.
    form = RecipientUploadForm(request.POST, request.FILES)
    if limit := refused_upload_limit(request):
        # Cut off while streaming: the rest of the body was never read, nothing was stored.
        messages.error(
            request, f"The file is larger than {limit // 1024**2} MB. Split it into smaller files."
        )
        return redirect("campaigns:recipients", pk=campaign.pk)
    if not form.is_valid():
        problems = form.errors.get("file") or ["Choose a file to upload."]
        messages.error(request, " ".join(str(problem) for problem in problems))
        return redirect("campaigns:recipients", pk=campaign.pk)
    try:
        recipient_file = services.upload_recipients(campaign=campaign, upload=form.cleaned_data["file"])
    except services.CampaignError as error:
        messages.error(request, str(error))
    else:
        if recipient_file.status != RecipientFileStatus.FAILED:
            messages.info(request, f"Uploaded {recipient_file.original_name}. Checking every row now.")
    return redirect("campaigns:recipients", pk=campaign.pk)


@campaign_view
@require_safe
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def preview(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    email = services.preview_first(campaign)
    if campaign.channel == Channel.SMS:
        text = email.body if email else "There is no valid recipient to preview yet."
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    html = email.html if email else "<p>There is no valid recipient to preview yet.</p>"
    return HttpResponse(html)


@campaign_view
@require_http_methods(["GET", "POST"])
def test_send(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    if campaign.channel == Channel.SMS:
        return sms_views.test_page(request, campaign)
    form = TestSendForm(
        request.POST if request.method == "POST" else None, initial={"email": request.user.email}
    )
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["email"]
        try:
            services.send_test(campaign=campaign, to=to)
        except services.CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Test email sent to {to}.")
            return redirect("campaigns:test_send", pk=campaign.pk)
    recipient_file = selectors.current_recipient_file(campaign)
    context = {"campaign": campaign, "form": form, "first": services.first_message(campaign)}
    context |= _steps(campaign, recipient_file, 3)
    return render(request, "campaigns/test_send.html", context)
