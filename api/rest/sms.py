"""/api/v1/transactional/sms: send one SMS with a saved Twilio credential, read one, list them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from api import selectors
from api.models import TransactionalSms
from api.rest import docs
from api.rest.bodies import read_body
from api.rest.listing import list_query
from api.rest.responses import respond, respond_once
from api.schemas import SMS_STATUS_FILTERS, ErrorOut, SmsListOut, SmsOut, SmsSendIn, validated
from api.services.idempotency import Response
from api.services.sms import accept_sms
from api.tasks import send_transactional_sms

router = Router(tags=["SMS"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 429: ErrorOut}
MAX_ID = 2**63 - 1


def sms_json(sms: TransactionalSms) -> dict[str, Any]:
    return {
        "id": sms.pk,
        "credentialsLabel": sms.credential_label,
        "recipient": sms.recipient,
        "body": sms.body,
        "message_id": sms.provider_id or None,
        "status": sms.status,
        "error_code": sms.error_code or None,
        "accepted_at": sms.accepted_at,
        "sent_at": sms.sent_at,
        "delivered_at": sms.delivered_at,
        "errored_at": sms.errored_at,
        "created_at": sms.created_at,
        "updated_at": sms.updated_at,
    }


@router.post(
    "/send",
    response={201: SmsOut, 413: ErrorOut, 422: ErrorOut, **ERRORS},
    summary="Send an SMS",
    description="With one of your saved Twilio credentials, named by its label. Answers at once "
    "with status ACCEPTED.",
    openapi_extra=docs.send_sms_doc(),
    operation_id="send_sms",
)
def send_sms(request: HttpRequest) -> HttpResponse:
    key = request.auth  # type: ignore[attr-defined]
    body = read_body(request, list_fields=frozenset(), files_allowed=False)

    def handler() -> Response:
        sms = accept_sms(
            key=key, data=validated(SmsSendIn, body.fields), enqueue=send_transactional_sms.delay
        )
        return Response(201, sms_json(sms))

    return respond_once(request, fingerprint=body.fingerprint, handler=handler)


@router.get(
    "/{sms_id}",
    response={200: SmsOut, 404: ErrorOut, **ERRORS},
    summary="Get an SMS",
    openapi_extra=docs.get_doc(docs.SMS_EXAMPLE, "SMS"),
    operation_id="get_sms",
)
def get_sms(request: HttpRequest, sms_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    return respond(200, sms_json(selectors.owned_sms(request.auth.owner, sms_id)))  # type: ignore[attr-defined]


@router.get(
    "",
    response={200: SmsListOut, **ERRORS},
    summary="List SMS",
    description="Your SMS, newest first, 10 at a time by default (at most 100).",
    openapi_extra=docs.SMS_LIST_DOC,
    operation_id="list_sms",
)
def list_sms(request: HttpRequest) -> HttpResponse:
    query = list_query(request, statuses=SMS_STATUS_FILTERS, max_limit=100)
    messages, has_more = selectors.page_of_sms(request.auth.owner, query)  # type: ignore[attr-defined]
    return respond(200, {"has_more": has_more, "data": [sms_json(sms) for sms in messages]})
