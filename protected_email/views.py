"""The officer's template page for a protected campaign, and the recipient's page at /p/<id>."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST, require_safe

from campaigns import selectors
from campaigns.models import Campaign
from campaigns.services import CampaignError
from campaigns.templating import TemplateError
from channels_email import identities
from channels_email.rendering import sender_label
from common.clientip import client_ip
from protected_email import unlock
from protected_email.forms import ProtectedTemplateForm
from protected_email.loading import ITERATIONS
from protected_email.models import ProtectedTemplate
from protected_email.services import save_protected_templates

# The recipient's page shows the decrypted message in a sandboxed srcdoc frame, which inherits
# this policy: scripts stay our own file only, the message's inline styles may apply.
PAGE_CSP: dict[str, Any] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": ["https:", "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}


def template_page(request: Any, campaign: Campaign) -> HttpResponse:
    """Both templates on one page: the email (only {{recipient}} and {{protectedlink}}) and the
    protected message."""
    current = ProtectedTemplate.objects.filter(campaign=campaign).first()
    initial = {
        "subject": campaign.subject,
        "body": campaign.body,
        "body_format": campaign.body_format,
        "sender_name": campaign.sender_name,
        "reply_to": campaign.reply_to or request.user.email,
        "message": current.body if current else "",
        "from_email": campaign.from_email,
        "show_agency_logo": campaign.show_agency_logo,
        "track_opens": campaign.track_opens,
    }
    form = ProtectedTemplateForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        platform_address=identities.platform_address(),
        from_addresses=identities.usable_from_addresses(request.user),
        agency_name=request.user.agency.shown_name if request.user.agency else "",
    )
    if request.method == "POST" and form.is_valid():
        try:
            save_protected_templates(campaign=campaign, **form.cleaned_data)
        except CampaignError as error:
            form.add_error(None, str(error))
        except TemplateError as error:
            form.add_error(None, [problem.message for problem in error.problems])
        else:
            messages.success(request, "Message saved.")
            return redirect("campaigns:recipients", pk=campaign.pk)
    recipient_file = selectors.current_recipient_file(campaign)
    context = {
        "campaign": campaign,
        "form": form,
        "steps": selectors.campaign_steps(campaign, recipient_file),
        "active_step": 1,
    }
    return render(request, "protected_email/template.html", context)


@require_safe
@never_cache
@csp_override(PAGE_CSP)
def protected_page(request: HttpRequest, message_id: str) -> HttpResponse:
    """The same page for every id, known or not, unless the message has expired."""
    found = unlock.find_message(message_id)
    context: dict[str, Any] = {"message_id": message_id, "iterations": ITERATIONS}
    if found is not None:
        context["iterations"] = found.iterations
        if found.expired:
            campaign = found.campaign
            context["expired"] = True
            context["sender"] = sender_label(campaign)
            context["contact"] = campaign.reply_to or campaign.owner.email
    response = render(request, "protected_email/unlock.html", context)
    # The link is the only key to the page: never pass it on to another site.
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@never_cache
def unlock_message(request: HttpRequest, message_id: str) -> JsonResponse:
    try:
        sent = json.loads(request.body or b"{}")
        verifier = base64.b64decode(sent["verifier"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return JsonResponse({"error": "Send the verifier your browser derived."}, status=400)
    if len(verifier) != 32:
        return JsonResponse({"error": "Send the verifier your browser derived."}, status=400)
    outcome = unlock.try_unlock(message_id=message_id, verifier=verifier, client=client_ip(request))
    if outcome.kind == "opened":
        # Who wrote it is told only with the right password: before that, every id looks alike.
        found = unlock.find_message(message_id)
        sender = sender_label(found.campaign) if found is not None else ""
        return JsonResponse({"payload": outcome.payload, "sender": sender})
    if outcome.kind == "wrong":
        return JsonResponse({"error": "wrong", "attempts_left": outcome.attempts_left}, status=403)
    if outcome.kind == "expired":
        return JsonResponse({"error": "expired"}, status=410)
    response = JsonResponse({"error": outcome.kind, "retry_after": outcome.retry_after}, status=429)
    response["Retry-After"] = str(outcome.retry_after)
    return response
