"""Campaign emails through SES SendBulkEmail: one call carries up to 50 recipients.

A campaign's layout becomes one inline SES template, built once per layout: the HTML shell with
each body keyword as a substitution, the plain text keyword by keyword where that is exact
(bulk_text) or else as one value, and whole-value substitutions for the subject and the
unsubscribe link. Our renderer decides every value per recipient - each keyword escaped for its
place in the HTML by the code the per-message path renders with, the subject and plain text as
that path renders them - so SES only pastes finished text and a recipient receives byte for
byte what SendEmail would have carried.
Substitutions use triple braces: SES templates are Handlebars, which would escape a
double-brace value a second time.

What SES substitution cannot carry goes through the per-message path: a layout whose own text
Handlebars would read as template syntax, and a message whose values hold a NUL (the
per-message path's markers). A call refused whole as a bad request is sent message by message.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from campaigns.delivery import ClaimedMessage, Delivery, could_not_build
from campaigns.plain_text import html_to_text
from campaigns.templating import CompiledTemplate, Keyword
from channels_email.bulk_text import KeywordText, keyword_text
from channels_email.rendering import (
    BODY_MARK,
    ONE_CLICK_HEADERS,
    UNSUBSCRIBE_MARK,
    EmailLayout,
    build_email,
    subject_for,
    text_part,
    values_for,
)
from channels_email.templating import html_value
from channels_email.transport import SesTransport, get_transport, ses_error_result, ses_result, unreachable
from channels_email.unsubscribe import unsubscribe_url

logger = logging.getLogger(__name__)

MAX_ENTRIES = 50  # SES's limit per SendBulkEmail call
# Calls in flight at once: a 200-message grant is four calls.
CALL_THREADS = 4

# Each entry's status, as the SendEmail error the same message alone would have met, so the
# engine retries or fails it exactly as it would on the per-message path.
_STATUS_CODES = {
    "MESSAGE_REJECTED": "MessageRejected",
    "MAIL_FROM_DOMAIN_NOT_VERIFIED": "MailFromDomainNotVerifiedException",
    "CONFIGURATION_SET_NOT_FOUND": "NotFoundException",
    "TEMPLATE_NOT_FOUND": "NotFoundException",
    "ACCOUNT_SUSPENDED": "AccountSuspendedException",
    "ACCOUNT_THROTTLED": "TooManyRequestsException",
    "ACCOUNT_DAILY_QUOTA_EXCEEDED": "LimitExceededException",
    "INVALID_SENDING_POOL_NAME": "BadRequestException",
    "ACCOUNT_SENDING_PAUSED": "SendingPausedException",
    "CONFIGURATION_SET_SENDING_PAUSED": "SendingPausedException",
    "INVALID_PARAMETER": "BadRequestException",
    "TRANSIENT_FAILURE": "InternalFailure",
    "FAILED": "InternalFailure",
}
_SLOT = re.compile(r"\{\{\{[a-z0-9_]+\}\}\}")


def _slot(name: str) -> str:
    return "{{{" + name + "}}}"


@dataclass(frozen=True)
class BulkTemplate:
    subject: str
    html: str
    text: str  # the plain text as one per-recipient value
    # Substitution name -> a one-keyword template rendering that keyword's value for its place.
    keywords: tuple[tuple[str, CompiledTemplate], ...]
    # The plain text keyword by keyword, for recipients whose values all allow it (bulk_text).
    plain: KeywordText | None = None
    plain_text: str = ""


@functools.lru_cache(maxsize=64)
def bulk_template(layout: EmailLayout) -> BulkTemplate | None:
    """The layout as an SES template, or None if SES would read some of its own text as syntax."""
    names: dict[Keyword, str] = {}
    body: list[str] = []
    for part in layout.body.parts:
        if isinstance(part, str):
            body.append(part)
        else:
            body.append(_slot(names.setdefault(part, f"v{len(names)}")))
    html = layout.html_shell.replace(BODY_MARK, "".join(body)).replace(UNSUBSCRIBE_MARK, _slot("unsubscribe"))
    if not substitution_safe(html):
        return None
    keywords = tuple(
        (name, CompiledTemplate((keyword,), frozenset({keyword.name}))) for keyword, name in names.items()
    )
    text = text_part(_slot("text"), _slot("unsubscribe"))
    plain = keyword_text(layout.body, _slot)
    plain_text = text_part(plain.text, _slot("unsubscribe")) if plain else ""
    if plain is None or not substitution_safe(plain_text):
        return BulkTemplate(_slot("subject"), html, text, keywords)
    return BulkTemplate(_slot("subject"), html, text, keywords, plain, plain_text)


def substitution_safe(template: str) -> bool:
    """Whether Handlebars reads nothing in `template` but our own `{{{name}}}` substitutions.

    Literal text must hold no "{{" or "}}", and no "\\" or "{" just before a substitution (an
    escaped or a raw-block mustache) or "}" just after one; NUL is the per-message path's marker.
    """
    literals = _SLOT.split(template)
    for index, literal in enumerate(literals):
        if "{{" in literal or "}}" in literal or "\x00" in literal:
            return False
        if index < len(literals) - 1 and literal.endswith(("\\", "{")):
            return False
        if index > 0 and literal.startswith("}"):
            return False
    return True


def bulk_template_for(layout: EmailLayout) -> BulkTemplate | None:
    """The layout's SES template when campaign emails go out in bulk calls, else None."""
    return bulk_template(layout) if settings.EMAIL_PROVIDER == "ses" and settings.SES_BULK_SEND else None


def send_campaign_emails(layout: EmailLayout, messages: Sequence[ClaimedMessage]) -> list[Delivery]:
    """Send claimed campaign messages; one result per message, in order."""
    bulk = bulk_template_for(layout)
    if bulk is None:
        return get_transport().send_batch([_single(layout, m) for m in messages])
    results: dict[int, Delivery] = {}
    entries_of: list[tuple[ClaimedMessage, str, dict[str, Any]]] = []
    alone: list[ClaimedMessage] = []
    for message in messages:
        try:
            if any("\x00" in value for value in message.params.values()):
                alone.append(message)  # SES substitution cannot carry a NUL: this one goes alone
                continue
            text, entry = _entry(layout, bulk, message)
        except Exception as error:
            logger.exception("Could not prepare campaign message %s", message.id)
            results[message.id] = could_not_build(error)
        else:
            entries_of.append((message, text, entry))
    with ThreadPoolExecutor(max_workers=CALL_THREADS) as pool:
        calls: list[tuple[list[ClaimedMessage], Future[list[Delivery]]]] = []
        # Entries wait by the plain-text template they need; a full call goes out at once, so
        # building the next entries overlaps the calls in flight.
        waiting: dict[str, tuple[list[ClaimedMessage], list[dict[str, Any]]]] = {}
        for message, text, entry in entries_of:
            group, entries = waiting.setdefault(text, ([], []))
            group.append(message)
            entries.append(entry)
            if len(entries) == MAX_ENTRIES:
                calls.append((group, pool.submit(_send_call, layout, bulk, text, group, entries)))
                del waiting[text]
        for text, (group, entries) in waiting.items():
            calls.append((group, pool.submit(_send_call, layout, bulk, text, group, entries)))
        if alone:
            results.update(_send_singly(layout, alone))
        for group, call in calls:
            results.update(zip((m.id for m in group), call.result(), strict=True))
    return [results[message.id] for message in messages]


def _single(layout: EmailLayout, message: ClaimedMessage) -> Any:
    return build_email(layout, message_id=message.id, recipient=message.recipient, params=message.params)


def _send_singly(layout: EmailLayout, messages: Sequence[ClaimedMessage]) -> dict[int, Delivery]:
    """Each message in a SendEmail of its own; one that cannot be built fails alone."""
    results: dict[int, Delivery] = {}
    built: list[tuple[ClaimedMessage, Any]] = []
    for message in messages:
        try:
            built.append((message, _single(layout, message)))
        except Exception as error:
            logger.exception("Could not prepare campaign message %s", message.id)
            results[message.id] = could_not_build(error)
    sent = SesTransport().send_batch([item for _, item in built])
    return results | {message.id: delivery for (message, _), delivery in zip(built, sent, strict=True)}


def _entry(layout: EmailLayout, bulk: BulkTemplate, message: ClaimedMessage) -> tuple[str, dict[str, Any]]:
    """A recipient's entry, and the plain-text template its values call for."""
    values = values_for(message.recipient, message.params)
    link = unsubscribe_url(message.id, message.recipient)
    data = {"subject": subject_for(layout, values), "unsubscribe": link}
    for name, keyword in bulk.keywords:
        data[name] = keyword.render(values, fill=html_value)
    plain = bulk.plain.values(values) if bulk.plain else None
    if plain is None:
        data["text"] = html_to_text(layout.body.render(values, fill=html_value))
    else:
        data.update(plain)
    entry = {
        "Destination": {"ToAddresses": [message.recipient]},
        "ReplacementEmailContent": {"ReplacementTemplate": {"ReplacementTemplateData": json.dumps(data)}},
        "ReplacementHeaders": [{"Name": "List-Unsubscribe", "Value": f"<{link}>"}],
    }
    return (bulk.text if plain is None else bulk.plain_text), entry


def _send_call(
    layout: EmailLayout,
    bulk: BulkTemplate,
    text: str,
    messages: list[ClaimedMessage],
    entries: list[dict[str, Any]],
) -> list[Delivery]:
    """One SendBulkEmail call. Refused or lost whole, every entry gets that one result, so the
    engine retries them together while the other calls' entries keep their own."""
    template = {
        "TemplateContent": {"Subject": bulk.subject, "Html": bulk.html, "Text": text},
        "TemplateData": "{}",
        "Headers": [{"Name": name, "Value": value} for name, value in ONE_CLICK_HEADERS.items()],
    }
    request: dict[str, Any] = {
        "FromEmailAddress": layout.from_email or settings.DEFAULT_FROM_EMAIL,
        "DefaultContent": {"Template": template},
        "BulkEmailEntries": entries,
    }
    if layout.reply_to:
        request["ReplyToAddresses"] = [layout.reply_to]
    # As SendEmail does: a campaign that does not track opens goes through the untracked set.
    if configuration_set := layout.configuration_set or settings.SES_CONFIGURATION_SET:
        request["ConfigurationSetName"] = configuration_set
    try:
        response = bulk_client().send_bulk_email(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "BadRequestException":
            # Nothing of the call went out, and one message of it may be what SES refused.
            singly = _send_singly(layout, messages)
            return [singly[message.id] for message in messages]
        return [ses_error_result(error)] * len(messages)
    except BotoCoreError as error:
        return [unreachable(error)] * len(messages)
    results = [_entry_result(result) for result in response["BulkEmailEntryResults"]]
    missing = ses_result("InternalFailure", "SES gave no result for this entry")
    return (results + [missing] * len(messages))[: len(messages)]


def bulk_client() -> Any:
    return _bulk_client(settings.AWS_REGION, settings.SES_ENDPOINT_URL)


@functools.lru_cache(maxsize=4)
def _bulk_client(region: str, endpoint: str | None) -> Any:
    # As transport.ses_client, without botocore's walk over every entry checking the request
    # against the API's shapes: it costs more than the rest of the call, and the requests
    # are built here, not taken from outside.
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=CALL_THREADS * 2,
        parameter_validation=False,
        connect_timeout=5,
        read_timeout=20,
    )
    return boto3.client("sesv2", region_name=region, endpoint_url=endpoint, config=config)


def _entry_result(result: dict[str, str]) -> Delivery:
    status = result.get("Status", "FAILED")
    if status == "SUCCESS":
        return Delivery(provider_id=result["MessageId"])
    return ses_result(_STATUS_CODES.get(status, "InternalFailure"), result.get("Error") or status)
