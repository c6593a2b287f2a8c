from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt

from campaigns.models import Message
from channels_email import services
from channels_email.models import InboxMessage
from channels_email.unsubscribe import token_is_valid


def _require_inbox_access(request: HttpRequest) -> None:
    # Outside DEBUG the inbox holds real login codes, so only staff may read it.
    if not settings.DEBUG and not (request.user.is_authenticated and request.user.is_staff):
        raise PermissionDenied


def dev_inbox(request: HttpRequest) -> HttpResponse:
    _require_inbox_access(request)
    messages = InboxMessage.objects.all()[:50]
    return render(request, "channels_email/inbox.html", {"inbox": messages})


def dev_inbox_html(request: HttpRequest, pk: int) -> HttpResponse:
    _require_inbox_access(request)
    message = get_object_or_404(InboxMessage, pk=pk)
    response = HttpResponse(message.html or "<p>(no HTML part)</p>")
    # Shown as stored: a sandbox with no scripts keeps any markup in it inert.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'"
    )
    return response


def _message_for(message_id: int, token: str) -> Message:
    message = Message.objects.select_related("campaign__owner__agency").filter(pk=message_id).first()
    if message is None or not token_is_valid(message_id, message.recipient, token):
        raise Http404("This unsubscribe link is not valid.")
    return message


@csrf_exempt  # mail clients post one-click unsubscribes (RFC 8058) without a CSRF token
def unsubscribe(request: HttpRequest, message_id: int, token: str) -> HttpResponse:
    message = _message_for(message_id, token)
    if request.method == "POST":
        if request.POST.get("action") == "undo":
            services.resubscribe(message=message)
        else:
            services.unsubscribe(message=message, reason=request.POST.get("reason", ""))
    agency = message.campaign.owner.agency
    context = {
        "message": message,
        "agency_name": agency.name if agency else "this agency",
        "unsubscribed": services.is_unsubscribed(message),
    }
    return render(request, "channels_email/unsubscribe.html", context)
