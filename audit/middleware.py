"""Records officers' and staff's actions from the requests that carry them out.

One table maps each page that changes something (or downloads recipients' data) to an audit
action, so every view is covered the same way without audit calls spread through the apps.
An action is recorded when the view answered it: a redirect after a form post (forms that
fail re-render with 200 and are not recorded; buttons that are refused redirect with an error
message, recorded as refused), or a download served. Only the POST fields listed per page are kept,
and record_event refuses any that could hold a secret or message content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from audit.services import record_event
from campaigns.models import Campaign


def redirected(response: HttpResponse) -> bool:
    return response.status_code in (301, 302, 303)


def served(response: HttpResponse) -> bool:
    return response.status_code == 200


def secret_shown(response: HttpResponse) -> bool:
    # A new API key or webhook secret is shown once, on a page no cache may keep; a refused
    # form re-renders the list page instead.
    return response.status_code == 200 and "no-store" in response.get("Cache-Control", "")


@dataclass(frozen=True)
class Audited:
    action: str
    method: str = "POST"
    fields: tuple[str, ...] = ()
    success: Callable[[HttpResponse], bool] = redirected


_DOWNLOAD = served
PAGES: dict[str, Audited] = {
    "campaigns:create": Audited("campaign.create", fields=("name", "channel")),
    "campaigns:rename": Audited("campaign.rename", fields=("name",)),
    "campaigns:duplicate": Audited("campaign.duplicate"),
    "campaigns:delete": Audited("campaign.delete"),
    "campaigns:template": Audited(
        "campaign.template_save", fields=("from_email", "show_agency_logo", "track_opens")
    ),
    "campaigns:recipients": Audited("campaign.upload"),
    "campaigns:test_send": Audited("campaign.test_send", fields=("email", "phone", "to")),
    "campaigns:send": Audited("campaign.send", fields=("send_rate", "scheduled_at", "schedule")),
    "campaigns:reschedule": Audited("campaign.schedule", fields=("scheduled_at",)),
    "campaigns:cancel_schedule": Audited("campaign.schedule_cancel"),
    "campaigns:pause": Audited("campaign.pause"),
    "campaigns:resume": Audited("campaign.resume"),
    "campaigns:retry": Audited("campaign.retry"),
    "campaigns:export": Audited("campaign.export_download", method="GET", success=_DOWNLOAD),
    "campaigns:rejected": Audited("campaign.rejected_download", method="GET", success=_DOWNLOAD),
    "api:keys": Audited("api_key.create", fields=("label",), success=secret_shown),
    "api:revoke": Audited("api_key.revoke"),
    "channels_sms:credentials": Audited("credential.add", fields=("label",)),
    "channels_sms:delete_credential": Audited("credential.delete"),
    "channels_telegram:bots": Audited("credential.add_telegram_bot"),
    "channels_telegram:delete_bot": Audited("credential.delete_telegram_bot"),
    "channels_email:from_addresses": Audited("from_address.add", fields=("address",)),
    "channels_email:remove_from_address": Audited("from_address.remove"),
    "channels_email:unsubscribe": Audited("suppression.change", fields=("action",), success=served),
    "webhooks:endpoints": Audited("webhook.create", success=secret_shown),
    "webhooks:set_state": Audited("webhook.state"),
    "webhooks:delete": Audited("webhook.delete"),
    "webhooks:replay": Audited("webhook.replay"),
}
# The admin's add, change and delete pages of every model: agencies, domains, settings, ...
_ADMIN_SUFFIXES = {"_add": "admin.add", "_change": "admin.change", "_delete": "admin.delete"}


def audited_page(url_name: str) -> Audited | None:
    if url_name in PAGES:
        return PAGES[url_name]
    if url_name.startswith("admin:"):
        for suffix, action in _ADMIN_SUFFIXES.items():
            if url_name.endswith(suffix):
                return Audited(action)
        if url_name.endswith("_changelist"):
            return Audited("admin.bulk_action", fields=("action",))
    return None


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        # The campaign's status before the action: resuming a halted campaign is its owner's
        # review of the halt, which the trail should tell apart from resuming a pause.
        match = request.resolver_match
        name = match.view_name if match else ""
        if request.method == "POST" and name in PAGES and name.startswith("campaigns:") and "pk" in kwargs:
            before = Campaign.objects.filter(pk=kwargs["pk"]).values_list("status", flat=True).first()
            request.audit_status_before = before or ""  # type: ignore[attr-defined]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if match is None or not match.view_name:
            return response
        page = audited_page(match.view_name)
        if page is None or request.method != page.method or not page.success(response):
            return response
        _record(request, response, match.view_name, match.kwargs, page)
        return response


def _record(
    request: HttpRequest, response: HttpResponse, view_name: str, kwargs: dict[str, Any], page: Audited
) -> None:
    target_id = kwargs.get("pk") or kwargs.get("object_id") or kwargs.get("message_id") or ""
    campaign_id: int | None = kwargs.get("pk") if view_name.startswith("campaigns:") else None
    if view_name == "campaigns:create" or view_name == "campaigns:duplicate":
        campaign_id = _campaign_in(response.get("Location", ""))
        target_id = campaign_id or ""
    detail: dict[str, Any] = {
        name: request.POST.get(name, "") for name in page.fields if name in request.POST
    }
    if before := getattr(request, "audit_status_before", ""):
        detail["status_before"] = before
    if refused := _refusal(request):
        # Control views redirect also when they refuse; their error message says why.
        detail["refused"] = refused
    if view_name.startswith("admin:"):
        target_type = view_name.removeprefix("admin:").rsplit("_", 1)[0]
    else:
        target_type = view_name.split(":")[0]
    action = page.action
    if view_name == "campaigns:send" and "schedule" in request.POST:
        action = "campaign.schedule"
    record_event(
        action=action,
        request=request,
        target_type=target_type,
        target_id=target_id,
        campaign_id=campaign_id,
        detail=detail,
    )


def _refusal(request: HttpRequest) -> str:
    queued = getattr(getattr(request, "_messages", None), "_queued_messages", [])
    return " ".join(str(message) for message in queued if message.level >= messages.ERROR)


def _campaign_in(location: str) -> int | None:
    try:
        match = resolve(location.split("?")[0])
    except Resolver404:
        return None
    pk = match.kwargs.get("pk")
    return pk if match.view_name.startswith("campaigns:") and isinstance(pk, int) else None
