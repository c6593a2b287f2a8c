from __future__ import annotations

from django.db import models


class InboxMessage(models.Model):
    """An email kept in the database instead of sent: the dev inbox at /dev/inbox/."""

    to = models.TextField()
    from_email = models.TextField()
    reply_to = models.TextField(blank=True)
    subject = models.TextField()
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
