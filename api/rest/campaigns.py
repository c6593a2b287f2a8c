"""/api/v1/campaigns: create a campaign, list and read them (progress included), write the template,
delete a draft. Each endpoint checks its input with the campaign page's own form and calls the
service that page calls."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from api.campaign_schemas import (
    API_CHANNELS,
    CampaignCreateIn,
    CampaignListOut,
    CampaignListQuery,
    CampaignOut,
    TemplateIn,
)
from api.errors import invalid
from api.rest import campaign_docs as docs
from api.rest.bodies import read_body
from api.rest.campaign_json import (
    MAX_ID,
    campaign_json,
    campaign_url,
    form_error,
    owned_campaign,
    perform,
    summary_json,
)
from api.rest.listing import query_parameters
from api.rest.responses import respond, respond_once
from api.schemas import ErrorOut, validated
from api.services.idempotency import Response
from campaigns import selectors as campaign_selectors
from campaigns import services
from campaigns.forms import CampaignCreateForm
from campaigns.models import BodyFormat, Campaign, Channel
from channels_email import identities
from channels_email import services as email_services
from channels_email.forms import EmailTemplateForm
from channels_sms import services as sms_services
from channels_sms.forms import SmsTemplateForm

router = Router(tags=["Campaigns"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 429: ErrorOut}
OWNED = {403: ErrorOut, 404: ErrorOut, **ERRORS}
_EMAIL_ONLY = ("subject", "body_format", "sender_name", "reply_to")


@router.post(
    "",
    response={201: CampaignOut, 422: ErrorOut, **ERRORS},
    summary="Create a campaign",
    description="A draft on email or SMS. Then write its template, upload its recipients, test "
    "and send it. Answers with the campaign and its URL in `Location`.",
    openapi_extra=docs.CREATE_DOC,
    operation_id="create_campaign",
)
def create_campaign(request: HttpRequest) -> HttpResponse:
    key = request.auth  # type: ignore[attr-defined]
    body = read_body(request, list_fields=frozenset(), files_allowed=False)

    def handler() -> Response:
        data = validated(CampaignCreateIn, body.fields)
        form = CampaignCreateForm(data={"name": data.name, "channel": data.channel})
        if not form.is_valid():
            raise form_error(form)
        campaign = perform(
            lambda: services.create_campaign(
                owner=key.owner, name=form.cleaned_data["name"], channel=form.cleaned_data["channel"]
            )
        )
        return Response(201, campaign_json(owned_campaign(key.owner, campaign.pk)))

    return respond_once(
        request,
        fingerprint=body.fingerprint,
        handler=handler,
        headers=lambda answer: {"Location": campaign_url(answer["id"])},
    )


@router.get(
    "",
    response={200: CampaignListOut, **ERRORS},
    summary="List campaigns",
    description="Your campaigns, newest first, 10 at a time by default (at most 100).",
    openapi_extra=docs.LIST_DOC,
    operation_id="list_campaigns",
)
def list_campaigns(request: HttpRequest) -> HttpResponse:
    query = query_parameters(request, CampaignListQuery)
    campaigns = campaign_selectors.dashboard_campaigns(
        request.auth.owner,  # type: ignore[attr-defined]
        channel=query.channel or "",
        status=query.status or "",
        search=(query.name or "").strip(),
    ).filter(channel__in=API_CHANNELS, protected=False)
    rows = list(campaigns[query.offset : query.offset + query.limit + 1])
    data = [summary_json(campaign) for campaign in rows[: query.limit]]
    return respond(200, {"has_more": len(rows) > query.limit, "data": data})


@router.get(
    "/{campaign_id}",
    response={200: CampaignOut, 404: ErrorOut, **ERRORS},
    summary="Get a campaign and its progress",
    description="Its status, template, latest upload, counters per message status and progress. "
    "Poll it while the campaign sends: the counters are kept current with every batch.",
    openapi_extra=docs.GET_DOC,
    operation_id="get_campaign",
    url_name="campaign",
)
def get_campaign(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    return respond(200, campaign_json(owned_campaign(request.auth.owner, campaign_id)))  # type: ignore[attr-defined]


@router.delete(
    "/{campaign_id}",
    response={204: None, **OWNED},
    summary="Delete a draft",
    description="Only a draft (never sent or scheduled) can be deleted.",
    openapi_extra=docs.DELETE_DOC,
    operation_id="delete_campaign",
)
def delete_campaign(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    campaign = owned_campaign(request.auth.owner, campaign_id)  # type: ignore[attr-defined]
    perform(lambda: services.delete_campaign(campaign=campaign))
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


@router.put(
    "/{campaign_id}/template",
    response={200: CampaignOut, **OWNED},
    summary="Write the template",
    description="Email: `subject` and `body` (with `body_format`, `sender_name`, `reply_to`). SMS: "
    "`body` only. A list uploaded earlier that lacks a column the new template uses must be "
    "uploaded again (`recipients.status` becomes failed and says so).",
    openapi_extra=docs.TEMPLATE_DOC,
    operation_id="set_campaign_template",
)
def set_template(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    owner = request.auth.owner  # type: ignore[attr-defined]
    campaign = owned_campaign(owner, campaign_id)
    data = validated(TemplateIn, read_body(request, list_fields=frozenset(), files_allowed=False).fields)
    if campaign.channel == Channel.SMS:
        _save_sms_template(campaign, data)
    else:
        _save_email_template(campaign, data, default_reply_to=owner.email)
    return respond(200, campaign_json(owned_campaign(owner, campaign_id)))


def _save_email_template(campaign: Campaign, data: TemplateIn, *, default_reply_to: str) -> None:
    form = EmailTemplateForm(
        data={
            "subject": data.subject or "",
            "body": data.body,
            "body_format": data.body_format or BodyFormat.RICH,
            "sender_name": data.sender_name or "",
            "reply_to": data.reply_to if data.reply_to is not None else default_reply_to,
            # From Postman's own address, with the agency's logo, opens untracked: as the page's defaults.
            "show_agency_logo": True,
        },
        platform_address=identities.platform_address(),
        from_addresses=identities.usable_from_addresses(campaign.owner),
        agency_name=campaign.owner.agency.shown_name if campaign.owner.agency else "",
    )
    if not form.is_valid():
        raise form_error(form)
    perform(lambda: email_services.save_email_template(campaign=campaign, **form.cleaned_data))


def _save_sms_template(campaign: Campaign, data: TemplateIn) -> None:
    for name in _EMAIL_ONLY:
        if name in data.model_fields_set:
            raise invalid(name, "is not allowed for an SMS campaign")
    form = SmsTemplateForm(data={"body": data.body})
    if not form.is_valid():
        raise form_error(form)
    perform(lambda: sms_services.save_sms_template(campaign=campaign, body=form.cleaned_data["body"]))
