from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from channels_email.models import InboxMessage


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
