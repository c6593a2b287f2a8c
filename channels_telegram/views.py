"""Telegram settings (the officer's bots, their subscribers, link and QR code) and the webhook."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.views.access import OfficerRequest
from channels_telegram import selectors, services, updates
from channels_telegram.forms import BotForm
from channels_telegram.models import SubscriberStatus
from channels_telegram.qr import qr_svg, qr_svg_file

SUBSCRIBERS_PER_PAGE = 50


@sensitive_post_parameters("token")
@login_required
@require_http_methods(["GET", "POST"])
def bots(request: OfficerRequest) -> HttpResponse:
    form = BotForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            bot = services.add_bot(owner=request.user, **form.cleaned_data)
        except services.BotError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Connected @{bot.username}. Share its link or QR code with residents.")
            return redirect("channels_telegram:bots")
    owned = list(selectors.owned_bots_with_counts(request.user))
    # segno draws the SVG from the link alone: no text of ours or a user's goes into it unescaped.
    qr_codes = {bot.pk: mark_safe(qr_svg(bot.link)) for bot in owned}
    context = {"form": form, "bots": [(bot, qr_codes[bot.pk]) for bot in owned]}
    return render(request, "channels_telegram/bots.html", context)


@login_required
@require_POST
def delete_bot(request: OfficerRequest, pk: int) -> HttpResponse:
    bot = selectors.owned_bot(request.user, pk)
    try:
        services.delete_bot(bot=bot)
    except services.BotError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Disconnected @{bot.username}. Postman no longer holds its token.")
    return redirect("channels_telegram:bots")


@login_required
@require_GET
def qr_download(request: OfficerRequest, pk: int) -> HttpResponse:
    bot = selectors.owned_bot(request.user, pk)
    response = HttpResponse(qr_svg_file(bot.link), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="{bot.username}-qr.svg"'
    return response


@login_required
@require_GET
def subscribers(request: OfficerRequest, pk: int) -> HttpResponse:
    bot = selectors.owned_bot(request.user, pk)
    rows = bot.subscribers.exclude(status=SubscriberStatus.STARTED).order_by("-updated_at", "-id")
    page = Paginator(rows, SUBSCRIBERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "channels_telegram/subscribers.html", {"bot": bot, "page": page})


@csrf_exempt  # Telegram posts here; the secret token header is the check
@require_POST
def webhook(request: HttpRequest, webhook_id: str) -> HttpResponse:
    secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    try:
        reply = updates.accept_update(webhook_id=webhook_id, secret=secret, body=request.body)
    except updates.UpdateRefused:
        return HttpResponseForbidden("Not an update from Telegram for this bot.")
    return JsonResponse(reply) if reply is not None else HttpResponse(status=200)
