"""An email campaign's own steps: the message (subject, body, sender), a test email, sending or
scheduling. The campaign views find the campaign among the officer's own and hand it here."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from campaigns import control, selectors, services
from campaigns.channels import DraftMessage
from campaigns.forms import SendForm
from campaigns.models import BodyFormat, Campaign
from campaigns.templating import TemplateError, TemplateProblem, compile_template
from campaigns.views.access import OfficerRequest
from campaigns.views.send_step import scheduling, send_context, send_or_schedule
from channels_email import identities
from channels_email import services as email_services
from channels_email.forms import EmailTemplateForm, TestSendForm
from channels_email.rendering import build_email, build_layout
from channels_email.variants import variant_for


def _steps(campaign: Campaign, active: int) -> dict[str, Any]:
    recipient_file = selectors.current_recipient_file(campaign)
    return {"steps": selectors.campaign_steps(campaign, recipient_file), "active_step": active}


def template_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    if variant := variant_for(campaign):
        return variant.template_page(request, campaign)
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
        agency_name=request.user.agency.shown_name if request.user.agency else "",
    )
    if request.method == "POST" and form.is_valid():
        try:
            email_services.save_email_template(campaign=campaign, **form.cleaned_data)
        except services.CampaignError as error:
            form.add_error(None, str(error))
        except TemplateError as error:
            form.add_error(None, [problem.message for problem in error.problems])
        else:
            messages.success(request, "Message saved.")
            return redirect("campaigns:recipients", pk=campaign.pk)
    context = {"campaign": campaign, "form": form, "columns": selectors.file_columns(campaign)}
    return render(request, "channels_email/template.html", context | _steps(campaign, 1))


def test_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    form = TestSendForm(
        request.POST if request.method == "POST" else None, initial={"email": request.user.email}
    )
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["email"]
        try:
            email_services.send_email_test(campaign=campaign, to=to)
        except services.CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Test email sent to {to}.")
            return redirect("campaigns:test_send", pk=campaign.pk)
    context = {"campaign": campaign, "form": form, "first": services.first_message(campaign)}
    return render(request, "channels_email/test_send.html", context | _steps(campaign, 3))


def send_page(request: OfficerRequest, campaign: Campaign) -> HttpResponse:
    form = SendForm(request.POST if request.method == "POST" else None, scheduling=scheduling(request))
    done = send_or_schedule(
        request,
        campaign,
        form,
        launch=lambda data: services.launch_campaign(
            campaign=campaign, by=request.user, send_rate=data["send_rate"]
        ),
        schedule=lambda data: control.schedule_campaign(
            campaign=campaign, by=request.user, at=data["scheduled_at"], send_rate=data["send_rate"]
        ),
    )
    if done is not None:
        return done
    return render(request, "channels_email/send.html", send_context(campaign, form) | _steps(campaign, 4))


_WHERE = re.compile(r" at line \d+, column \d+")


def _named(what: str, problem: TemplateProblem, *, rich: bool) -> TemplateProblem:
    """The problem with the field it is in. In a rich-text body, a line and column count the
    editor's HTML, not what the officer sees: the token quoted in the message says where."""
    message = _WHERE.sub("", problem.message) if rich and what == "Message" else problem.message
    return replace(problem, message=f"{what}: {message}")


def draft_message(campaign: Campaign, data: Mapping[str, str]) -> DraftMessage:
    """The unsaved subject, body and sender, rendered by the code that sends (build_layout,
    build_email) on a copy of the campaign that is never saved."""
    subject, body = data.get("subject", ""), data.get("body", "")
    body_format = data.get("body_format", "")
    if body_format not in BodyFormat.values:
        body_format = BodyFormat.RICH
    problems: list[TemplateProblem] = []
    for what, check in [
        ("Subject", lambda: compile_template(subject)),
        (
            "Message",
            lambda: email_services.compile_email_template(subject="", body=body, body_format=body_format),
        ),
    ]:
        try:
            check()
        except TemplateError as error:
            problems += [
                _named(what, problem, rich=body_format == BodyFormat.RICH) for problem in error.problems
            ]
    if problems:
        raise TemplateError(problems)
    html, keywords = email_services.compile_email_template(
        subject=subject, body=body, body_format=body_format
    )
    draft = copy.copy(campaign)
    draft.subject, draft.body_html = subject.strip(), html
    draft.sender_name = " ".join(data.get("sender_name", "").split())
    draft.show_agency_logo = bool(data.get("show_agency_logo"))
    from_email = data.get("from_email", "")
    draft.from_email = from_email if from_email in identities.usable_from_addresses(campaign.owner) else ""
    layout = build_layout(draft)

    def render(recipient: str, params: Mapping[str, str]) -> dict[str, object]:
        # Message id 0 belongs to no one: the preview's unsubscribe link unsubscribes nobody.
        return {"email": build_email(layout, message_id=0, recipient=recipient, params=params)}

    def document(recipient: str, params: Mapping[str, str]) -> str:
        return build_email(layout, message_id=0, recipient=recipient, params=params).html

    return DraftMessage(frozenset(keywords), "channels_email/_draft_preview.html", render, document)
