"""Which suppressions stop a send: one scope, read by the ORM and by the bulk SQL alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import Agency, User
from campaigns.models import (
    Channel,
    Message,
    MessageStatus,
    Suppression,
    SuppressionReason,
    unsubscribe_scope,
)
from tests.factories import make_email_campaign, make_officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, User]:
    health, transport = Agency.objects.create(name="Health"), Agency.objects.create(name="Transport")
    officers = {
        "me": make_officer("me@health.gov.sg", agency=health),
        "colleague": make_officer("colleague@health.gov.sg", agency=health),
        "other": make_officer("other@transport.gov.sg", agency=transport),
        # Officers from before every domain had an agency (or made by hand) have none: they record
        # unsubscribes for themselves.
        "alone": make_officer("alone@nowhere.gov.sg", agency=None),
        "alone2": make_officer("alone2@nowhere.gov.sg", agency=None),
    }
    rows = [
        ("bounced@example.com", SuppressionReason.BOUNCED, "other"),
        ("complained@example.com", SuppressionReason.COMPLAINED, "alone2"),
        ("colleague-unsub@example.com", SuppressionReason.UNSUBSCRIBED, "colleague"),
        ("other-unsub@example.com", SuppressionReason.UNSUBSCRIBED, "other"),
        ("alone-unsub@example.com", SuppressionReason.UNSUBSCRIBED, "alone"),
        ("alone2-unsub@example.com", SuppressionReason.UNSUBSCRIBED, "alone2"),
    ]
    for recipient, reason, by in rows:
        Suppression.objects.create(
            channel=Channel.EMAIL, recipient=recipient, reason=reason, **unsubscribe_scope(officers[by])
        )
    Suppression.objects.create(channel=Channel.SMS, recipient="colleague-unsub@example.com", reason="bounced")
    return officers


def _applying(owner: User) -> set[str]:
    return set(Suppression.objects.applying_to(owner, Channel.EMAIL).values_list("recipient", flat=True))


def test_applying_to_holds_bounces_for_all_and_unsubscribes_for_the_agency(world: dict[str, User]) -> None:
    assert _applying(world["me"]) == {
        "bounced@example.com",
        "complained@example.com",
        "colleague-unsub@example.com",
    }
    assert _applying(world["alone"]) == {
        "bounced@example.com",
        "complained@example.com",
        "alone-unsub@example.com",
    }


def test_unsubscribes_of_is_what_an_owner_records_and_lifts(world: dict[str, User]) -> None:
    mine = Suppression.objects.unsubscribes_of(world["me"], Channel.EMAIL)

    assert list(mine.values_list("recipient", flat=True)) == ["colleague-unsub@example.com"]
    assert unsubscribe_scope(world["me"]) == {"agency_id": world["me"].agency_id}
    assert unsubscribe_scope(world["alone"]) == {"owner_id": world["alone"].pk}


@pytest.mark.usefixtures("counters_hold")
@pytest.mark.parametrize("who", ["me", "alone"])
def test_bulk_suppression_sets_aside_exactly_what_applying_to_finds(
    world: dict[str, User], who: str, tmp_path: Path
) -> None:
    recipients = [
        "bounced@example.com",
        "complained@example.com",
        "colleague-unsub@example.com",
        "other-unsub@example.com",
        "alone-unsub@example.com",
        "alone2-unsub@example.com",
        "fresh@example.com",
    ]
    # Loading the list sets suppressed recipients aside with one bulk statement.
    campaign = make_email_campaign(
        world[who],
        [{"recipient": r, "name": "N", "code": "1"} for r in recipients],
        tmp_path=tmp_path,
        sender_name="Clinic A",  # required of an officer with no agency name
    )

    suppressed = set(
        Message.objects.filter(campaign=campaign, status=MessageStatus.SUPPRESSED).values_list(
            "recipient", flat=True
        )
    )
    assert suppressed == _applying(world[who])
