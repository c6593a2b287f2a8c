"""Services that control a campaign's sending: schedule, launch when due, pause, resume, retry, halt.

Each locks the campaign's row first, so two clicks, two beat processes or a bounce arriving
during a resume are applied one after the other, and each is recorded as a CampaignAction.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from campaigns import notices, transitions
from campaigns.models import (
    Campaign,
    CampaignActionKind,
    CampaignStats,
    CampaignStatus,
    Message,
    MessageStatus,
)
from campaigns.services import (
    CampaignError,
    begin_sending,
    record_action,
    require_ready,
    send_after_commit,
    skip_suppressed,
)
from webhooks.services import emit_campaign_milestone

# Halt when hard bounces exceed both: more than 10, and more than 10% of messages with an outcome.
HALT_MIN_BOUNCES = 10
HALT_BOUNCE_PERCENT = 10
LAUNCH_BATCH = 50


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _at(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y, H:i")


@transaction.atomic
def schedule_campaign(
    *, campaign: Campaign, by: User, at: datetime, send_rate: int | None = None
) -> Campaign:
    """Schedule a draft, or move the time of a scheduled campaign that has not started."""
    campaign = _locked(campaign)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise CampaignError("This campaign has already started; its time can no longer change.")
    if at <= timezone.now():
        raise CampaignError(f"{_at(at)} has already passed. Choose a later time.")
    if campaign.status == CampaignStatus.DRAFT:
        require_ready(campaign)
    action = CampaignActionKind.SCHEDULED
    if campaign.status == CampaignStatus.SCHEDULED:
        action = CampaignActionKind.RESCHEDULED
    campaign.status, campaign.scheduled_at = CampaignStatus.SCHEDULED, at
    if send_rate:
        campaign.send_rate = send_rate
    campaign.save()
    record_action(campaign, action, by=by, detail=f"For {_at(at)}")
    return campaign


@transaction.atomic
def cancel_schedule(*, campaign: Campaign, by: User) -> Campaign:
    """Back to a draft that can be changed, until the launcher has started it."""
    campaign = _locked(campaign)
    if campaign.status != CampaignStatus.SCHEDULED:
        raise CampaignError("Only a scheduled campaign that has not started can be cancelled.")
    campaign.status, campaign.scheduled_at = CampaignStatus.DRAFT, None
    campaign.save()
    record_action(campaign, CampaignActionKind.UNSCHEDULED, by=by)
    return campaign


def launch_due_campaigns(*, now: datetime | None = None) -> list[int]:
    """Start every scheduled campaign whose time has come; each exactly once.

    SKIP LOCKED lets two launchers (two beats, or a slow run overlapping the next) split the due
    rows instead of both taking them; the flip to SENDING commits with the lock, so a launcher
    that reads the row afterwards no longer sees it as due.
    """
    now = now or timezone.now()
    launched: list[int] = []
    while True:
        # One transaction per batch keeps row locks short; the loop launches every due campaign
        # in this tick, however many are due.
        with transaction.atomic():
            due = list(
                Campaign.objects.live()
                .select_for_update(skip_locked=True)
                .filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now)
                .order_by("scheduled_at", "pk")[:LAUNCH_BATCH]
            )
            for campaign in due:
                begin_sending(
                    campaign, by=None, detail=f"As scheduled for {_at(campaign.scheduled_at or now)}"
                )
        launched += [campaign.pk for campaign in due]
        if len(due) < LAUNCH_BATCH:
            return launched


@transaction.atomic
def pause_campaign(*, campaign: Campaign, by: User) -> Campaign:
    campaign = _locked(campaign)
    if campaign.status != CampaignStatus.SENDING:
        raise CampaignError("Only a campaign that is sending can be paused.")
    campaign.status = CampaignStatus.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    record_action(campaign, CampaignActionKind.PAUSED, by=by)
    emit_campaign_milestone(campaign=campaign, milestone="paused")
    return campaign


@transaction.atomic
def resume_campaign(*, campaign: Campaign, by: User) -> Campaign:
    """Continue a paused or halted campaign; a halted one then no longer halts on bounces."""
    campaign = _locked(campaign)
    if campaign.status not in (CampaignStatus.PAUSED, CampaignStatus.HALTED):
        raise CampaignError("Only a paused or halted campaign can be resumed.")
    detail = ""
    if campaign.status == CampaignStatus.HALTED:
        # The owner has seen the bounces and chosen to go on: halting again would undo that.
        detail = f"After a halt: {campaign.halted_reason}"
        campaign.halt_on_bounces, campaign.halted_reason = False, ""
    campaign.status = CampaignStatus.SENDING
    campaign.save()
    record_action(campaign, CampaignActionKind.RESUMED, by=by, detail=detail)
    emit_campaign_milestone(campaign=campaign, milestone="resumed")
    send_after_commit(campaign.pk)
    return campaign


def retryable(campaign: Campaign) -> int:
    """Failed messages that may be sent again: those that failed for a transient reason."""
    if campaign.stats.failed <= 0:
        return 0
    return Message.objects.filter(
        campaign=campaign, status=MessageStatus.FAILED, error_permanent=False
    ).count()


@transaction.atomic
def retry_failed(*, campaign: Campaign, by: User) -> int:
    """Queue again the messages of a sent campaign that failed for a transient reason.

    Sent, delivered, bounced, invalid and unsubscribed messages are never touched, nor failures
    the provider called permanent. The old provider id goes, so a late event about the failed
    attempt cannot move the new one.
    """
    campaign = _locked(campaign)
    if campaign.status != CampaignStatus.SENT:
        raise CampaignError("Failed messages can be retried once the campaign has finished sending.")
    count = transitions.requeue_failed(campaign, where=Q(error_permanent=False))
    if not count:
        raise CampaignError("No failed message can be retried: the provider refused them for good.")
    skipped = skip_suppressed(campaign)
    campaign.status, campaign.finished_at = CampaignStatus.SENDING, None
    campaign.save()
    detail = f"{count:,} failed message{'' if count == 1 else 's'} queued again"
    if skipped:
        detail += f"; {skipped:,} of them now suppressed and skipped"
    record_action(campaign, CampaignActionKind.RETRIED, by=by, detail=detail)
    send_after_commit(campaign.pk)
    return count


def bounces_too_many(bounced: int, with_outcome: int) -> bool:
    return bounced > HALT_MIN_BOUNCES and bounced * 100 > with_outcome * HALT_BOUNCE_PERCENT


@transaction.atomic
def halt_if_bouncing(*, campaign_id: int) -> bool:
    """After a hard bounce: stop a sending (or paused) campaign whose bounces passed the limit.

    Messages "with an outcome" are those sent, delivered, bounced or failed.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status not in (CampaignStatus.SENDING, CampaignStatus.PAUSED) or not campaign.halt_on_bounces:
        return False
    stats = CampaignStats.objects.get(pk=campaign_id)
    with_outcome = stats.sent + stats.delivered + stats.bounced + stats.failed
    if not bounces_too_many(stats.bounced, with_outcome):
        return False
    percent = stats.bounced * 100 / with_outcome
    campaign.status = CampaignStatus.HALTED
    campaign.halted_reason = (
        f"{stats.bounced:,} of the {with_outcome:,} emails sent so far bounced ({percent:.0f}%). "
        f"Postman stops a campaign when more than {HALT_MIN_BOUNCES} and more than "
        f"{HALT_BOUNCE_PERCENT}% of its emails bounce: the list may be out of date."
    )
    campaign.save(update_fields=["status", "halted_reason", "updated_at"])
    record_action(campaign, CampaignActionKind.HALTED, by=None, detail=campaign.halted_reason)
    emit_campaign_milestone(campaign=campaign, milestone="halted")
    notices.campaign_halted(campaign.pk)
    return True
