"""Kinds of email campaign another app provides (password-protected email, say).

The email channel hands such a campaign's own steps to its variant without importing the app
that provides it: that app registers here from its AppConfig.ready().
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from campaigns.models import Campaign

if TYPE_CHECKING:
    from django.http import HttpResponse

    from campaigns.views.access import OfficerRequest


class EmailVariant(Protocol):
    def claims(self, campaign: Campaign) -> bool:
        """Whether `campaign` is of this kind."""

    def after_load(self, campaign: Campaign) -> None:
        """Recipients were loaded or the template changed."""

    def after_duplicate(self, source: Campaign, copy: Campaign) -> None:
        """`copy` was made from `source`: copy what the variant keeps of its own."""

    def template_page(self, request: OfficerRequest, campaign: Campaign) -> HttpResponse:
        """The message step, in place of the plain email's."""


_VARIANTS: list[EmailVariant] = []


def register_variant(variant: EmailVariant) -> None:
    if variant not in _VARIANTS:
        _VARIANTS.append(variant)


def variant_for(campaign: Campaign) -> EmailVariant | None:
    return next((variant for variant in _VARIANTS if variant.claims(campaign)), None)
