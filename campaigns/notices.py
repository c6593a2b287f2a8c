"""Emails to a campaign's owner: a scheduled campaign has been sent, or any campaign halted.

The engine and services call `campaign_finished` / `campaign_halted` inside their transaction;
the email goes out from a task after commit, so a rolled-back change sends nothing and a slow
mail provider never holds a sending worker.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from campaigns import dispatch
from campaigns.models import Campaign

FINISHED = "finished"
HALTED = "halted"
EVENTS = (FINISHED, HALTED)


def _later(campaign_id: int, event: str) -> None:
    dispatch.after_commit(dispatch.NOTIFY_OWNER, campaign_id, event)


def campaign_finished(campaign_id: int) -> None:
    """Tell the owner once a campaign they scheduled (rather than sent at once) is done."""
    if Campaign.objects.filter(pk=campaign_id, scheduled_at__isnull=False).exists():
        _later(campaign_id, FINISHED)


def campaign_halted(campaign_id: int) -> None:
    _later(campaign_id, HALTED)


def send_owner_notice(*, campaign: Campaign, event: str) -> None:
    """The email itself, through the configured provider like every email Postman sends."""
    if event not in EVENTS:
        raise ValueError(f"unknown campaign notice {event!r}")
    url = f"{settings.SITE_URL}{reverse('campaigns:detail', args=[campaign.pk])}"
    context = {"campaign": campaign, "stats": campaign.stats, "url": url}
    if event == FINISHED:
        subject = f"[Postman] “{campaign.name}” has been sent"
    else:
        subject = f"[Postman] Sending “{campaign.name}” was stopped"
    body = render_to_string(f"campaigns/email/{event}.txt", context)
    send_mail(subject, body, None, [campaign.owner.email])
