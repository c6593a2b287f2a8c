"""The campaign pages, one module per part of the flow."""

from campaigns.views.compose import (
    preview,
    recipients,
    template,
    template_preview,
    template_preview_frame,
    test_send,
)
from campaigns.views.control import cancel_schedule, pause, reschedule, resume, retry
from campaigns.views.downloads import export, rejected
from campaigns.views.launch import detail, progress, send
from campaigns.views.listing import create, dashboard, delete, duplicate, rename

__all__ = [
    "cancel_schedule",
    "create",
    "dashboard",
    "delete",
    "detail",
    "duplicate",
    "export",
    "pause",
    "preview",
    "progress",
    "recipients",
    "rejected",
    "rename",
    "reschedule",
    "resume",
    "retry",
    "send",
    "template",
    "template_preview",
    "template_preview_frame",
    "test_send",
]
