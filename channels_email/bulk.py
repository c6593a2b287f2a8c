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
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.httpsession import URLLib3Session
from botocore.utils import get_environ_proxies
from django.conf import settings

from campaigns.delivery import ClaimedMessage, Delivery, could_not_build
from campaigns.plain_text import html_to_text
from campaigns.templating import Keyword
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
from channels_email.unsubscribe import unsubscribe_links

logger = logging.getLogger(__name__)

MAX_ENTRIES = 50  # SES's limit per SendBulkEmail call
# SendBulkEmail calls in flight at once in a worker process, shared by its sending tasks: a
# 200-message grant is four calls, and two tasks' grants go out together.
CALL_THREADS = 8

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
# Compact JSON, UTF-8 left as it is: SES reads JSON, and there is less of it to escape.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_SLOT = re.compile(r"\{\{\{[a-z0-9_]+\}\}\}")


def _slot(name: str) -> str:
    return "{{{" + name + "}}}"


@dataclass(frozen=True)
class BulkTemplate:
    subject: str
    html: str
    text: str  # the plain text as one per-recipient value
    # Substitution name -> the keyword whose value, escaped for its place, it carries.
    keywords: tuple[tuple[str, Keyword], ...]
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
    keywords = tuple((name, keyword) for keyword, name in names.items())
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
    alone: list[ClaimedMessage] = []
    calls: list[tuple[list[ClaimedMessage], Future[list[Delivery]]]] = []
    # Entries wait by the plain-text template they need; a full call goes out at once, so
    # building the next entries overlaps the calls in flight.
    waiting: dict[str, tuple[list[ClaimedMessage], list[dict[str, Any]]]] = {}
    link = unsubscribe_links()
    for message in messages:
        try:
            if any("\x00" in value for value in message.params.values()):
                alone.append(message)  # SES substitution cannot carry a NUL: this one goes alone
                continue
            text, entry = _entry(layout, bulk, message, link)
        except Exception as error:
            logger.exception("Could not prepare campaign message %s", message.id)
            results[message.id] = could_not_build(error)
            continue
        group, entries = waiting.setdefault(text, ([], []))
        group.append(message)
        entries.append(entry)
        if len(entries) == MAX_ENTRIES:
            calls.append((group, _calls().submit(_send_call, layout, bulk, text, group, entries)))
            del waiting[text]
    for text, (group, entries) in waiting.items():
        calls.append((group, _calls().submit(_send_call, layout, bulk, text, group, entries)))
    if alone:
        results.update(_send_singly(layout, alone))
    for group, call in calls:
        results.update(zip((m.id for m in group), call.result(), strict=True))
    return [results[message.id] for message in messages]


@functools.cache
def _calls() -> ThreadPoolExecutor:
    """The process's SendBulkEmail calls in flight, shared by every sending task in it."""
    return ThreadPoolExecutor(max_workers=CALL_THREADS, thread_name_prefix="ses-bulk")


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


def _entry(
    layout: EmailLayout, bulk: BulkTemplate, message: ClaimedMessage, links: Callable[[int, str], str]
) -> tuple[str, dict[str, Any]]:
    """A recipient's entry, and the plain-text template its values call for."""
    values = values_for(message.recipient, message.params)
    link = links(message.id, message.recipient)
    data = {"subject": subject_for(layout, values), "unsubscribe": link}
    for name, keyword in bulk.keywords:
        data[name] = html_value(keyword, values.get(keyword.name) or "")
    plain = bulk.plain.values(values) if bulk.plain else None
    if plain is None:
        data["text"] = html_to_text(layout.body.render(values, fill=html_value))
    else:
        data.update(plain)
    entry = {
        "Destination": {"ToAddresses": [message.recipient]},
        "ReplacementEmailContent": {"ReplacementTemplate": {"ReplacementTemplateData": _json(data)}},
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
        response = bulk_client().send_bulk_email(request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "BadRequestException":
            # Nothing of the call went out, and one message of it may be what SES refused.
            singly = _send_singly(layout, messages)
            return [singly[message.id] for message in messages]
        return [ses_error_result(error)] * len(messages)
    except BotoCoreError as error:
        return [unreachable(error)] * len(messages)
    results = [_entry_result(result) for result in response.get("BulkEmailEntryResults", [])]
    missing = ses_result("InternalFailure", "SES gave no result for this entry")
    return (results + [missing] * len(messages))[: len(messages)]


class BulkClient:
    """SES v2 SendBulkEmail as one signed JSON POST.

    boto3's client walks every entry of the request and of the answer against the API's shapes
    (about 60 µs of CPU per entry here, more than building the entry); this sends the JSON we
    built, signed with SigV4 by botocore under the same credentials boto3 finds, through
    botocore's own HTTP session (its proxies, certificates and connection pool), and reads the
    answer as SES documents it. Errors come back as boto3's ClientError, so they are mapped as
    the SendEmail path maps them.
    """

    def __init__(self, region: str, endpoint: str | None) -> None:
        self.region = region
        self.url = f"{endpoint or f'https://email.{region}.amazonaws.com'}".rstrip("/") + _BULK_PATH
        self.credentials = boto3.session.Session().get_credentials()
        # One attempt per call (the engine decides retries), timeouts well within the shared
        # rate's hold on an unsettled grant (common.ratelimit), a connection per call in flight.
        self.http = URLLib3Session(
            proxies=get_environ_proxies(self.url),
            timeout=(5, 20),
            max_pool_connections=CALL_THREADS,
            # As boto3 does: without it each request waits on the delayed ACK of its headers.
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        )

    def send_bulk_email(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.credentials is None:
            raise NoCredentialsError()
        body = _json(request).encode()
        aws_request = AWSRequest(
            method="POST", url=self.url, data=body, headers={"Content-Type": "application/json"}
        )
        SigV4Auth(self.credentials.get_frozen_credentials(), "ses", self.region).add_auth(aws_request)
        response = self.http.send(aws_request.prepare())
        try:
            answer = json.loads(response.content or b"{}")
        except ValueError:
            answer = {}
        if response.status_code >= 300 or not isinstance(answer, dict):
            raise _client_error(response.status_code, response.headers, answer)
        return answer


_BULK_PATH = "/v2/email/outbound-bulk-emails"


def _client_error(status: int, headers: Any, answer: Any) -> ClientError:
    """An error answer as boto3 reads a rest-json error: the code from x-amzn-ErrorType."""
    answer = answer if isinstance(answer, dict) else {}
    code = headers.get("x-amzn-ErrorType") or answer.get("__type") or answer.get("code") or ""
    code = code.split(":")[0].rpartition("#")[2] or ("InternalFailure" if status >= 500 else "Unknown")
    message = answer.get("message") or answer.get("Message") or f"HTTP {status}"
    error = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(error, "SendBulkEmail")  # type: ignore[arg-type]


def bulk_client() -> BulkClient:
    return _bulk_client(settings.AWS_REGION, settings.SES_ENDPOINT_URL)


@functools.lru_cache(maxsize=4)
def _bulk_client(region: str, endpoint: str | None) -> BulkClient:
    return BulkClient(region, endpoint)


def _entry_result(result: dict[str, str]) -> Delivery:
    status = result.get("Status", "FAILED")
    if status == "SUCCESS":
        return Delivery(provider_id=result["MessageId"])
    return ses_result(_STATUS_CODES.get(status, "InternalFailure"), result.get("Error") or status)
