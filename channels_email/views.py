from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.models import Message
from campaigns.views.access import OfficerRequest
from channels_email import identities, services, sns
from channels_email.forms import OwnAddressForm
from channels_email.models import InboxMessage
from channels_email.rendering import sender_label
from channels_email.ses_events import SesEventInvalid, record_ses_event
from channels_email.unsubscribe import token_is_valid

logger = logging.getLogger(__name__)


def _require_inbox_access(request: HttpRequest) -> None:
    # The inbox shows every login code to whoever opens it: it exists only in development, for
    # nobody otherwise, staff included (settings refuse the inbox provider without DEBUG).
    if not settings.DEBUG:
        raise Http404


def dev_inbox(request: HttpRequest) -> HttpResponse:
    _require_inbox_access(request)
    emails = InboxMessage.objects.all()[:50]
    return render(request, "channels_email/inbox.html", {"inbox": emails})


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


def _purged_campaign_page(request: HttpRequest, message_id: int) -> HttpResponse | None:
    """After the retention purge the link's address is gone, so the token cannot be checked:
    say so plainly rather than calling the link invalid. Nothing of the campaign is shown."""
    message = Message.objects.filter(pk=message_id, recipient="").select_related("campaign").first()
    if message is None or message.campaign.data_deleted_at is None:
        return None
    return render(request, "channels_email/unsubscribe_expired.html", status=410)


@csrf_exempt  # mail clients post one-click unsubscribes (RFC 8058) without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, message_id: int, token: str) -> HttpResponse:
    if expired := _purged_campaign_page(request, message_id):
        return expired
    message = _message_for(message_id, token)
    undone = request.method == "POST" and request.POST.get("action") == "undo"
    if undone:
        services.resubscribe(message=message)
    elif request.method == "POST":
        services.unsubscribe(message=message, reason=request.POST.get("reason", ""))
    context = {
        "message": message,
        "sender": sender_label(message.campaign),
        "unsubscribed": services.is_unsubscribed(message),
        "undone": undone,
    }
    return render(request, "channels_email/unsubscribe.html", context)


def _text(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # Amazon SNS posts here; the message's own signature is what authenticates it
@require_POST
def ses_events(request: HttpRequest) -> HttpResponse:
    """SES delivery events through SNS: a forged or foreign post gets 403 and changes nothing."""
    try:
        envelope = json.loads(request.body)
    except ValueError:
        return _text(400, "The body is not JSON.")
    if not isinstance(envelope, dict):
        return _text(400, "The body is not an SNS message.")
    try:
        message = sns.verified(envelope)
    except sns.SnsRefused as error:
        logger.warning("Refused an SNS post: %s", error)
        return _text(403, "Not a valid SNS message for this service.")
    if message.type == "SubscriptionConfirmation":
        return _confirm(message)
    if message.type == "Notification":
        return _record(message)
    return _text(200, "Noted.")


def _record(message: sns.SnsMessage) -> HttpResponse:
    # A repeat answers 200 so that SNS stops retrying; it changes nothing.
    if not sns.claim(message):
        return _text(200, "Already recorded.")
    try:
        kind = record_ses_event(json.loads(message.message))
    except (ValueError, SesEventInvalid) as error:
        logger.warning("Ignored an SNS notification that is not an SES event: %s", error)
        return _text(400, "The notification is not an SES event.")
    except BaseException:
        sns.release(message)  # not applied: SNS's retry must be
        raise
    return _text(200, f"Recorded {kind}.")


def _confirm(message: sns.SnsMessage) -> HttpResponse:
    try:
        sns.confirm_subscription(message)
    except sns.SnsRefused as error:
        logger.warning("Refused an SNS subscription: %s", error)
        return _text(403, "Not a valid SNS subscription.")
    except sns.SnsConfirmFailed as error:
        logger.warning("Could not confirm the SNS subscription to %s: %s", message.topic_arn, error)
        return _text(502, "SNS did not accept the confirmation.")
    return _text(200, "Subscribed.")


@login_required
@require_http_methods(["GET", "POST"])
def from_addresses(request: OfficerRequest) -> HttpResponse:
    form = OwnAddressForm(request.POST or None, initial={"address": request.user.email})
    if request.method == "POST" and form.is_valid():
        try:
            sender = identities.add_own_address(officer=request.user, address=form.cleaned_data["address"])
        except identities.SenderAddressRefused as refused:
            form.add_error("address", str(refused))
        else:
            messages.success(request, f"You can now send campaigns from {sender.address}.")
            return redirect("channels_email:from_addresses")
    context = {
        "form": form,
        "senders": identities.granted_to(request.user),
        "platform_address": identities.platform_address(),
    }
    return render(request, "channels_email/from_addresses.html", context)


@login_required
@require_POST
def remove_from_address(request: OfficerRequest, pk: int) -> HttpResponse:
    identities.remove_own_address(officer=request.user, pk=pk)
    messages.success(request, "Address removed.")
    return redirect("channels_email:from_addresses")
