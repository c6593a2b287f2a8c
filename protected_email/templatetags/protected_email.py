from __future__ import annotations

from typing import Any

from django import template

from campaigns.models import Campaign
from protected_email import selectors

register = template.Library()


@register.inclusion_tag("protected_email/_encrypt.html", takes_context=True)
def protected_encrypt_form(context: Any, campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "config": selectors.upload_config(campaign),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("protected_email/_opened.html")
def protected_opened(campaign: Campaign) -> dict[str, Any]:
    return {"opened": selectors.opened_count(campaign)}


@register.inclusion_tag("protected_email/_expiry.html")
def protected_expiry(campaign: Campaign) -> dict[str, Any]:
    return {"expires_at": selectors.expires_at(campaign)}
