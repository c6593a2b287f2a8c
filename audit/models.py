from __future__ import annotations

from django.db import models
from django.utils import timezone

# What each recorded action is called on the officer's pages; the code stays beside it for
# matching with the admin's trail. Actions not listed show their code.
ACTION_LABELS = {
    "campaign.create": "Created the campaign",
    "campaign.rename": "Renamed it",
    "campaign.duplicate": "Made it as a copy",
    "campaign.delete": "Deleted the draft",
    "campaign.template_save": "Saved the message",
    "campaign.upload": "Uploaded recipients",
    "campaign.test_send": "Sent a test",
    "campaign.send": "Sent it",
    "campaign.schedule": "Scheduled it",
    "campaign.schedule_cancel": "Cancelled the schedule",
    "campaign.pause": "Paused sending",
    "campaign.resume": "Resumed sending",
    "campaign.retry": "Retried failed messages",
    "campaign.export_download": "Downloaded the results",
    "campaign.rejected_download": "Downloaded the rejected rows",
}


class AuditEvent(models.Model):
    """One thing a person did, kept for good: rows are only ever inserted.

    A database trigger (migration 0001) refuses UPDATE and DELETE, so not even a bug or an admin
    with a shell through the ORM can rewrite the trail. Nothing here points at other rows with a
    foreign key: the trail outlives deleted officers and campaigns and the retention purge, so
    who and what are kept as ids and short names. `detail` holds only fields known to be safe:
    never codes, tokens, passwords, keys, or message content (services.record_event checks).
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    campaign_id = models.BigIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["campaign_id", "-at"], name="auditevent_campaign_at")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_email or 'Postman'} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)
