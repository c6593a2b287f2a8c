"""/api/v1/campaigns/{id}: test, send now or schedule, pause, resume, retry, cancel, export.

Each endpoint is the campaign page's button: the same form checks the input and the same service
(campaigns.services, campaigns.control, channels_sms.services) does the work, recorded as an
action of the key's owner.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Path, Router

from accounts.models import User
from api.campaign_schemas import CampaignOut, CampaignTestIn, CampaignTestOut, SendIn
from api.errors import ApiError, invalid
from api.rest import campaign_docs as docs
from api.rest.bodies import read_body
from api.rest.campaign_json import MAX_ID, campaign_json, form_error, owned_campaign, perform
from api.rest.responses import respond
from api.schemas import ErrorOut, validated
from campaigns import control, services
from campaigns import selectors as campaign_selectors
from campaigns.forms import ScheduleForm, SendForm
from campaigns.models import Campaign, Channel
from campaigns.views.downloads import csv_download, export_filename
from channels_email import services as email_services
from channels_email.forms import TestSendForm
from channels_sms import services as sms_services
from channels_sms.forms import SmsSendForm, SmsTestSendForm
from channels_sms.models import TwilioCredential
from channels_sms.selectors import chosen_credential, owned_credentials

router = Router(tags=["Campaigns"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
_SMS_NAMES = {"credential": "label", "phone": "to"}


def _body(request: HttpRequest) -> dict[str, object]:
    return read_body(request, list_fields=frozenset(), files_allowed=False).fields


def _credential(owner: User, campaign: Campaign, label: str | None) -> TwilioCredential:
    """The Twilio credential named by `label`, or the campaign's own when none is named."""
    if label is None:
        credential = chosen_credential(campaign)
        if credential is None:
            raise invalid("label", "is required: name one of your Twilio credentials")
        return credential
    credential = owned_credentials(owner).filter(label=label.strip()).first()
    if credential is None:
        raise ApiError(
            400, "invalid_credential_label", f'You have no Twilio credentials labelled "{label.strip()}".'
        )
    return credential


def _no_label(label: str | None) -> None:
    if label is not None:
        raise invalid("label", "is not allowed for an email campaign")


@router.post(
    "/{campaign_id}/test",
    response={200: CampaignTestOut, **ERRORS},
    summary="Send a test",
    description="The first valid recipient's message, marked [Test]. Email: to a government "
    "address (default: yours). SMS: to your own Singapore mobile (a credential's test number), at "
    "most 10 an hour, with the credential named by `label`, which the campaign then keeps.",
    openapi_extra=docs.TEST_DOC,
    operation_id="send_campaign_test",
)
def send_test(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    owner = request.auth.owner  # type: ignore[attr-defined]
    campaign = owned_campaign(owner, campaign_id)
    data = validated(CampaignTestIn, _body(request))
    if campaign.channel == Channel.SMS:
        to = _test_sms(owner, campaign, data)
    else:
        _no_label(data.label)
        form = TestSendForm(data={"email": data.to if data.to is not None else owner.email})
        if not form.is_valid():
            raise form_error(form, {"email": "to"})
        to = form.cleaned_data["email"]
        perform(lambda: email_services.send_email_test(campaign=campaign, to=to))
    return respond(200, {"to": to})


def _test_sms(owner: User, campaign: Campaign, data: CampaignTestIn) -> str:
    credential = _credential(owner, campaign, data.label)
    own = sms_services.verified_mobiles(owner)
    if data.to is None and not own:
        perform(lambda: sms_services.require_own_mobile(owner=owner, to=""))
    phone = data.to if data.to is not None else own[0]
    form = SmsTestSendForm(data={"credential": credential.pk, "phone": phone}, user=owner)
    if not form.is_valid():
        raise form_error(form, _SMS_NAMES)
    to: str = form.cleaned_data["phone"]
    perform(
        lambda: sms_services.send_sms_test(
            campaign=campaign, credential=form.cleaned_data["credential"], to=to
        )
    )
    return to


@router.post(
    "/{campaign_id}/send",
    response={200: CampaignOut, **ERRORS},
    summary="Send now or schedule",
    description="Without `scheduled_at` sending starts at once (`status` sending); with it the "
    "campaign is scheduled (`status` scheduled), and sending it again with another time moves "
    "it. SMS campaigns send with the Twilio credential named by `label`.",
    openapi_extra=docs.SEND_DOC,
    operation_id="send_campaign",
)
def send(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    owner = request.auth.owner  # type: ignore[attr-defined]
    campaign = owned_campaign(owner, campaign_id)
    data = validated(SendIn, _body(request))
    if campaign.channel == Channel.SMS:
        _send_sms(owner, campaign, data)
    else:
        _send_email(owner, campaign, data)
    return respond(200, campaign_json(owned_campaign(owner, campaign_id)))


def _send_email(owner: User, campaign: Campaign, data: SendIn) -> None:
    _no_label(data.label)
    scheduling = data.scheduled_at is not None
    form = SendForm(
        data={"send_rate": data.send_rate or "", "scheduled_at": data.scheduled_at or ""},
        scheduling=scheduling,
    )
    if not form.is_valid():
        raise form_error(form)
    rate, at = form.cleaned_data["send_rate"], form.cleaned_data["scheduled_at"]
    if scheduling:
        perform(lambda: control.schedule_campaign(campaign=campaign, by=owner, at=at, send_rate=rate))
    else:
        perform(lambda: services.launch_campaign(campaign=campaign, by=owner, send_rate=rate))


def _send_sms(owner: User, campaign: Campaign, data: SendIn) -> None:
    credential = _credential(owner, campaign, data.label)
    rate = data.send_rate or settings.SMS_DEFAULT_RATE
    form = SmsSendForm(data={"credential": credential.pk, "send_rate": rate}, user=owner)
    if not form.is_valid():
        raise form_error(form, _SMS_NAMES)
    chosen = {"credential": form.cleaned_data["credential"], "send_rate": form.cleaned_data["send_rate"]}
    if data.scheduled_at is None:
        perform(lambda: sms_services.launch_sms_campaign(campaign=campaign, by=owner, **chosen))
        return
    schedule = ScheduleForm(data={"scheduled_at": data.scheduled_at})
    if not schedule.is_valid():
        raise form_error(schedule)
    at = schedule.cleaned_data["scheduled_at"]
    perform(lambda: sms_services.schedule_sms_campaign(campaign=campaign, by=owner, at=at, **chosen))


def _control(request: HttpRequest, campaign_id: int, act: Callable[[Campaign, User], object]) -> HttpResponse:
    owner = request.auth.owner  # type: ignore[attr-defined]
    campaign = owned_campaign(owner, campaign_id)
    perform(lambda: act(campaign, owner))
    return respond(200, campaign_json(owned_campaign(owner, campaign_id)))


@router.post(
    "/{campaign_id}/pause",
    response={200: CampaignOut, **ERRORS},
    summary="Pause sending",
    description="Only a campaign that is sending. Messages already handed to the provider still go out.",
    openapi_extra=docs.control_doc("paused", "Only a campaign that is sending can be paused."),
    operation_id="pause_campaign",
)
def pause(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    return _control(request, campaign_id, lambda c, by: control.pause_campaign(campaign=c, by=by))


@router.post(
    "/{campaign_id}/resume",
    response={200: CampaignOut, **ERRORS},
    summary="Resume sending",
    description="A paused campaign, or one Postman halted because too many emails bounced; a "
    "resumed halted campaign is no longer halted on bounces.",
    openapi_extra=docs.control_doc("sending", "Only a paused or halted campaign can be resumed."),
    operation_id="resume_campaign",
)
def resume(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    return _control(request, campaign_id, lambda c, by: control.resume_campaign(campaign=c, by=by))


@router.post(
    "/{campaign_id}/retry",
    response={200: CampaignOut, **ERRORS},
    summary="Retry failed messages",
    description="Once a campaign has finished sending: queue again the messages that failed for a "
    "transient reason (`retryable`), and send them. Nothing sent, delivered, bounced, invalid or "
    "refused for good by the provider is sent again.",
    openapi_extra=docs.control_doc(
        "sending", "Failed messages can be retried once the campaign has finished sending."
    ),
    operation_id="retry_campaign",
)
def retry(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    return _control(request, campaign_id, lambda c, by: control.retry_failed(campaign=c, by=by))


@router.post(
    "/{campaign_id}/cancel",
    response={200: CampaignOut, **ERRORS},
    summary="Cancel a schedule",
    description="A scheduled campaign that has not started becomes a draft again, which can be changed.",
    openapi_extra=docs.control_doc(
        "draft", "Only a scheduled campaign that has not started can be cancelled."
    ),
    operation_id="cancel_campaign_schedule",
)
def cancel(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    return _control(request, campaign_id, lambda c, by: control.cancel_schedule(campaign=c, by=by))


@router.get(
    "/{campaign_id}/export",
    response={200: None, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    summary="Export results (CSV)",
    description="One row per recipient in file order: row number, recipient, status, error, sent, "
    "delivered and last-update times (UTC), then the file's own columns. Streamed, so a "
    "million-row campaign starts downloading at once. Cells a spreadsheet would read as a formula "
    "start with a single quote.",
    openapi_extra=docs.EXPORT_DOC,
    operation_id="export_campaign",
)
def export(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> StreamingHttpResponse:
    campaign = owned_campaign(request.auth.owner, campaign_id)  # type: ignore[attr-defined]
    return csv_download(campaign_selectors.export_rows(campaign), export_filename(campaign))
