"""/api/v1/transactional/email: send one email, read one, list them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from api import selectors
from api.models import TransactionalEmail
from api.rest import docs
from api.rest.bodies import read_body
from api.rest.listing import list_query
from api.rest.responses import respond, respond_once
from api.schemas import EMAIL_STATUS_FILTERS, EmailListOut, EmailOut, EmailSendIn, ErrorOut, validated
from api.services.email import accept_email
from api.services.idempotency import Response
from api.tasks import send_transactional_email

router = Router(tags=["Email"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 429: ErrorOut}
MAX_ID = 2**63 - 1


def email_json(email: TransactionalEmail, *, params: bool = True) -> dict[str, Any]:
    return {
        "id": email.pk,
        "from": email.from_address,
        "recipient": email.recipient,
        "params": {
            "subject": email.subject,
            "body": email.body,
            "from": email.from_address,
            "reply_to": email.reply_to or None,
        }
        if params
        else None,
        "attachments_metadata": email.attachments_metadata or None,
        "status": email.status,
        "error_code": email.error_code or None,
        "error_sub_type": email.error or None,
        "accepted_at": email.accepted_at,
        "sent_at": email.sent_at,
        "delivered_at": email.delivered_at,
        "opened_at": email.opened_at,
        "created_at": email.created_at,
        "updated_at": email.updated_at,
        "classification": email.classification or None,
        "tag": email.tag or None,
        "cc": email.cc,
        "bcc": email.bcc,
    }


@router.post(
    "/send",
    response={201: EmailOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut, **ERRORS},
    by_alias=True,
    summary="Send an email",
    description="JSON, urlencoded or multipart (needed for attachments). Answers at once with the "
    "message, status ACCEPTED; it is sent within seconds, ahead of any campaign.",
    openapi_extra=docs.send_email_doc(),
    operation_id="send_email",
)
def send_email(request: HttpRequest) -> HttpResponse:
    key = request.auth  # type: ignore[attr-defined]
    body = read_body(request, list_fields=frozenset({"cc", "bcc"}), files_allowed=True)

    def handler() -> Response:
        data = validated(EmailSendIn, body.fields)
        email = accept_email(key=key, data=data, files=body.files, enqueue=send_transactional_email.delay)
        return Response(201, email_json(email))

    return respond_once(request, fingerprint=body.fingerprint, handler=handler)


@router.get(
    "/{email_id}",
    response={200: EmailOut, 404: ErrorOut, **ERRORS},
    by_alias=True,
    summary="Get an email",
    openapi_extra=docs.get_doc(docs.EMAIL_EXAMPLE, "Email"),
    operation_id="get_email",
)
def get_email(request: HttpRequest, email_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    return respond(200, email_json(selectors.owned_email(request.auth.owner, email_id)))  # type: ignore[attr-defined]


@router.get(
    "",
    response={200: EmailListOut, **ERRORS},
    by_alias=True,
    summary="List emails",
    description="Your emails, newest first, 10 at a time by default (at most 1000).",
    openapi_extra=docs.EMAIL_LIST_DOC,
    operation_id="list_emails",
)
def list_emails(request: HttpRequest) -> HttpResponse:
    query = list_query(request, statuses=EMAIL_STATUS_FILTERS, max_limit=1000)
    emails, has_more = selectors.page_of_emails(request.auth.owner, query)  # type: ignore[attr-defined]
    data = [email_json(email, params=not query.exclude_params) for email in emails]
    return respond(200, {"has_more": has_more, "data": data})
