"""The draft's steps: write the message, upload recipients, preview, send a test."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HTMX_STOP_POLLING

from campaigns import selectors, services
from campaigns.channels import DraftMessage, pages_for
from campaigns.forms import RecipientUploadForm
from campaigns.models import Campaign, RecipientFile, RecipientFileStatus
from campaigns.recipient_files import MAX_FILE_BYTES
from campaigns.templating import TemplateError
from campaigns.views.access import OfficerRequest, campaign_view
from common.uploads import refused_upload_limit

# The preview is the officer's own HTML with a recipient's values in it: render it in a sandbox
# with no scripts, no requests but images, and the inline styles that email layouts rely on.
PREVIEW_CSP: dict[str, Any] = {
    "sandbox": True,
    "default-src": [CSP.NONE],
    "img-src": ["https:", "data:"],
    "style-src": [CSP.UNSAFE_INLINE],
}

# The live preview posts the whole unsaved form on each pause in typing; a message longer than
# this is refused before its body is read, and is checked when it is saved.
MAX_DRAFT_BYTES = 512 * 1024
DRAFT_TOO_LARGE = (
    "This message is too long to preview as you type (over 500 KB). Save it to check it, "
    "or shorten it: an email this large is clipped by many mail apps."
)


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
    return pages_for(campaign).template_step(request, campaign)


def _file_context(campaign: Campaign, recipient_file: RecipientFile | None) -> dict[str, Any]:
    context: dict[str, Any] = {"campaign": campaign, "recipient_file": recipient_file, "ingesting": False}
    if recipient_file is None:
        return context
    if recipient_file.status == RecipientFileStatus.READY:
        context |= pages_for(campaign).upload_context(campaign)
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
    # upload.js asks for JSON: a redirect would be followed inside its XHR, and the page loaded
    # there would consume the message meant for the officer. The form posted without JavaScript
    # gets the usual redirect with a message.
    by_script = request.headers.get("X-Upload") == "script"
    try:
        recipient_file = _receive(request, campaign)
    except services.CampaignError as error:
        if by_script:
            return JsonResponse({"error": str(error)}, status=400)
        messages.error(request, str(error))
    else:
        if recipient_file.status != RecipientFileStatus.FAILED:
            messages.info(request, f"Uploaded {recipient_file.original_name}. Checking every row now.")
    location = reverse("campaigns:recipients", args=[campaign.pk])
    return JsonResponse({"location": location}) if by_script else redirect(location)


def _receive(request: OfficerRequest, campaign: Campaign) -> RecipientFile:
    form = RecipientUploadForm(request.POST, request.FILES)
    if limit := refused_upload_limit(request):
        # Cut off while streaming: the rest of the body was never read, nothing was stored.
        raise services.CampaignError(
            f"The file is larger than {limit // 1024**2} MB. Split it into smaller files."
        )
    if not form.is_valid():
        problems = form.errors.get("file") or ["Choose a file to upload."]
        raise services.CampaignError(" ".join(str(problem) for problem in problems))
    return services.upload_recipients(campaign=campaign, upload=form.cleaned_data["file"])


@campaign_view
@require_safe
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def preview(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    return pages_for(campaign).preview(campaign)


@campaign_view
@require_http_methods(["GET", "POST"])
def test_send(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    return pages_for(campaign).test_step(request, campaign)


def _draft_too_large(request: OfficerRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_DRAFT_BYTES
    except ValueError:
        return True


def _draft(campaign: Campaign, request: OfficerRequest) -> DraftMessage:
    return pages_for(campaign).draft(campaign, request.POST.dict())


@campaign_view
@require_POST
def template_preview(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    """The message step's live preview of the unsaved form: the message with sample values (or
    the loaded file's first recipient), the columns it needs, or what is wrong. Saves nothing."""
    partial = "campaigns/template.html#draft-preview"
    context: dict[str, Any] = {"campaign": campaign, "oob": True}
    if not campaign.is_editable:
        return render(
            request,
            partial,
            context | {"refusal": "This campaign's message can no longer change."},
            status=409,
        )
    if _draft_too_large(request):
        return render(request, partial, context | {"refusal": DRAFT_TOO_LARGE}, status=413)
    try:
        draft = _draft(campaign, request)
    except TemplateError as error:
        response = render(request, partial, context | {"problems": [p.message for p in error.problems]})
        # htmx leaves the last good preview in place and swaps in only the problems and a notice.
        response["HX-Reswap"] = "none"
        return response
    values = services.preview_values(campaign, draft.keywords)
    context |= {
        "draft": draft,
        "values": values,
        "columns": selectors.columns_for(draft.keywords),
        **draft.render(values.recipient, values.params),
    }
    return render(request, partial, context)


@campaign_view
@require_POST
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def template_preview_frame(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    """The unsaved email as recipients will get it, for the live preview's sandboxed frame (an
    iframe's srcdoc would inherit the page's CSP, which refuses the inline styles emails use)."""
    if not campaign.is_editable:
        return HttpResponse("<p>This campaign's message can no longer change.</p>", status=409)
    if _draft_too_large(request):
        return HttpResponse(f"<p>{DRAFT_TOO_LARGE}</p>", status=413)
    try:
        draft = _draft(campaign, request)
    except TemplateError:
        return HttpResponse("<p>Fix the message to see its preview.</p>")
    if draft.document is None:
        return HttpResponse(status=404)
    values = services.preview_values(campaign, draft.keywords)
    return HttpResponse(draft.document(values.recipient, values.params))
