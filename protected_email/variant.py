"""Password-protected email as a kind of email campaign, registered with the email channel."""

from __future__ import annotations

from django.http import HttpResponse

from campaigns.models import Campaign
from campaigns.views.access import OfficerRequest
from protected_email import loading, views


class ProtectedEmail:
    def claims(self, campaign: Campaign) -> bool:
        return campaign.protected

    def after_load(self, campaign: Campaign) -> None:
        loading.protect_loaded_messages(campaign)

    def after_duplicate(self, source: Campaign, copy: Campaign) -> None:
        loading.copy_protected_template(source=source, copy=copy)

    def template_page(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        return views.template_page(request, campaign)
