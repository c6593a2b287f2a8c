from __future__ import annotations

import csv
import hashlib
import hmac
import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.html import strip_tags

from accounts.models import Agency
from campaigns import engine, services
from campaigns.models import Campaign, CampaignStats, CampaignStatus, Message, MessageStatus, Suppression
from channels_email import unsubscribe as links
from channels_email.models import InboxMessage
from common import signing
from tests.factories import make_email_campaign, make_officer, people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("counters_hold")]


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode())))


def streamed(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def send_all(campaign: Campaign) -> None:
    """Send the whole campaign to the dev inbox, as a worker would."""
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    while engine.run_for(campaign.pk, seconds=10, sleep=lambda s: None):
        pass


def link_in_email_to(address: str) -> str:
    email = InboxMessage.objects.get(to=address)
    match = re.search(r"<(http://[^>]+)>", email.headers["List-Unsubscribe"])
    assert match
    return match.group(1).removeprefix("http://127.0.0.1:8000")


@pytest.fixture
def agency() -> Agency:
    return Agency.objects.create(name="Ministry of Examples")


@pytest.fixture
def agency_officer(db: None, agency: Agency) -> Any:
    return make_officer("sender@agency.gov.sg", agency=agency)


@pytest.fixture
def sent(agency_officer: Any, tmp_path: Path) -> Campaign:
    campaign = make_email_campaign(agency_officer, people(3), tmp_path=tmp_path)
    send_all(campaign)
    return campaign


def stats_of(campaign: Campaign) -> tuple[int, int]:
    stats = CampaignStats.objects.get(pk=campaign.pk)
    return stats.sent, stats.unsubscribed


def test_every_campaign_email_carries_its_own_link_and_one_click_headers(sent: Campaign) -> None:
    message = Message.objects.get(campaign=sent, recipient="person1@example.com")
    email = InboxMessage.objects.get(to="person1@example.com")
    token = links.unsubscribe_token(message.pk, message.recipient)
    url = f"http://127.0.0.1:8000/unsubscribe/{message.pk}/{token}/"

    assert email.headers == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert f'href="{url}"' in email.html
    assert f"Unsubscribe: {url}" in email.text


def test_page_asks_for_an_optional_reason_and_changes_nothing_on_get(sent: Campaign) -> None:
    response = Client().get(link_in_email_to("person1@example.com"))

    page = text_of(response)
    assert response.status_code == 200
    assert "Stop emails from Ministry of Examples to person1@example.com?" in page
    assert "Why are you unsubscribing? (optional)" in page
    assert Suppression.objects.count() == 0
    assert stats_of(sent) == (3, 0)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda pk, token: (pk, token[:-1] + ("0" if token[-1] != "0" else "1")),
        lambda pk, token: (pk, token[:-2]),
        lambda pk, token: (pk + 1, token),
        lambda pk, token: (pk, links.unsubscribe_token(pk, "someone.else@example.com")),
        lambda pk, token: (pk, token.upper()),
        lambda pk, token: (999_999, links.unsubscribe_token(999_999, "person1@example.com")),
    ],
    ids=["changed", "truncated", "other-message", "other-recipient", "case", "no-such-message"],
)
def test_tampered_link_is_404_on_get_and_post_and_changes_nothing(tamper: Any, sent: Campaign) -> None:
    message = Message.objects.get(campaign=sent, recipient="person1@example.com")
    pk, token = tamper(message.pk, links.unsubscribe_token(message.pk, message.recipient))
    url = f"/unsubscribe/{pk}/{token}/"

    got = Client().get(url)
    posted = Client().post(url, {"reason": "spam"})

    assert (got.status_code, posted.status_code) == (404, 404)
    assert Suppression.objects.count() == 0
    assert stats_of(sent) == (3, 0)


def test_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    real = signing.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)

    assert links.token_is_valid(7, "a@example.com", "nope") is False
    assert compared == [(links.unsubscribe_token(7, "a@example.com"), "nope")]


# Rotating SECRET_KEY


def test_link_in_an_inbox_still_works_after_secret_key_rotation(sent: Campaign, settings: Any) -> None:
    url = link_in_email_to("person1@example.com")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdefghij"

    page = Client().get(url)
    posted = Client().post(url, {"reason": "after rotation"})

    assert (page.status_code, posted.status_code) == (200, 200)
    assert "Unsubscribe" in text_of(page)
    assert list(Suppression.objects.values_list("recipient", "reason")) == [
        ("person1@example.com", "unsubscribed")
    ]
    assert stats_of(sent) == (2, 1)


def test_new_links_are_signed_with_the_new_key_only(settings: Any) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-key-0123456789-old-key-0123456789-old", []
    old_token = links.unsubscribe_token(7, "a@example.com")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = (
        "new-key-0123456789-new-key-0123456789-new",
        ["old-key-0123456789-old-key-0123456789-old"],
    )

    new_token = links.unsubscribe_token(7, "a@example.com")

    assert new_token != old_token
    assert links.token_is_valid(7, "a@example.com", new_token)
    assert links.token_is_valid(7, "a@example.com", old_token)
    settings.SECRET_KEY_FALLBACKS = []  # the old key dropped: its links stop working
    assert not links.token_is_valid(7, "a@example.com", old_token)


def test_link_signed_with_a_key_we_never_had_is_404_after_rotation(sent: Campaign, settings: Any) -> None:
    message = Message.objects.get(campaign=sent, recipient="person1@example.com")
    settings.SECRET_KEY = "attackers-guess-0123456789-attackers-guess-0123456789"
    forged = links.unsubscribe_token(message.pk, message.recipient)
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdefghij"
    settings.SECRET_KEY_FALLBACKS = ["dev-only-secret-key-not-for-production-0123456789abcdef"]

    response = Client().post(f"/unsubscribe/{message.pk}/{forged}/", {"reason": "forged"})

    assert response.status_code == 404
    assert Suppression.objects.count() == 0


def test_links_already_sent_keep_their_format(sent: Campaign, settings: Any) -> None:
    """Links emailed before signing moved to common.signing verify unchanged: the token is still
    the first 32 hex digits of HMAC-SHA256 under SHA-256("postman.unsubscribe:" + key)."""
    message = Message.objects.get(campaign=sent, recipient="person1@example.com")
    key = hashlib.sha256(f"postman.unsubscribe:{settings.SECRET_KEY}".encode()).digest()
    expected = hmac.new(key, f"{message.pk}:person1@example.com".encode(), hashlib.sha256).hexdigest()[:32]

    assert link_in_email_to("person1@example.com") == f"/unsubscribe/{message.pk}/{expected}/"


def test_one_click_post_without_csrf_token_unsubscribes(sent: Campaign, agency: Agency) -> None:
    url = link_in_email_to("person1@example.com")

    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert "You are unsubscribed" in text_of(response)
    suppression = Suppression.objects.get()
    assert (suppression.recipient, suppression.reason, suppression.agency_id, suppression.detail) == (
        "person1@example.com",
        "unsubscribed",
        agency.pk,
        "",
    )
    message = Message.objects.get(campaign=sent, recipient="person1@example.com")
    assert (message.status, message.error_code) == (MessageStatus.UNSUBSCRIBED, "unsubscribed")
    assert stats_of(sent) == (2, 1)


def test_reason_is_kept_and_shown_in_the_export(sent: Campaign, agency_officer: Any) -> None:
    Client().post(link_in_email_to("person1@example.com"), {"reason": "=Too many emails"})
    owner = Client()
    owner.force_login(agency_officer)

    export = owner.get(f"/campaigns/{sent.pk}/export.csv")

    rows = list(csv.DictReader(io.StringIO(streamed(export))))
    row = next(r for r in rows if r["recipient"] == "person1@example.com")
    assert (row["status"], row["error_code"], row["error"]) == (
        "unsubscribed",
        "unsubscribed",
        "'=Too many emails",
    )
    assert Suppression.objects.get().detail == "=Too many emails"
    progress = owner.get(f"/campaigns/{sent.pk}/progress/", headers={"HX-Request": "true"})
    assert 'data-testid="stat-unsubscribed">1<' in progress.content.decode()


def test_unsubscribing_twice_counts_once(sent: Campaign) -> None:
    url = link_in_email_to("person1@example.com")

    Client().post(url, {"reason": "first"})
    Client().post(url, {"reason": "second"})

    assert Suppression.objects.get().detail == "first"
    assert stats_of(sent) == (2, 1)


def test_undo_on_the_same_page_resubscribes(sent: Campaign) -> None:
    url = link_in_email_to("person1@example.com")
    Client().post(url, {"reason": "busy"})

    response = Client().post(url, {"action": "undo"})

    page = text_of(response)
    assert (
        "You are subscribed again: person1@example.com will keep receiving emails from Ministry of Examples."
        in page
    )
    assert "Stop emails from Ministry of Examples to person1@example.com?" in page
    assert Suppression.objects.count() == 0
    message = Message.objects.get(campaign=sent, recipient="person1@example.com")
    assert (message.status, message.error_code, message.error) == (MessageStatus.SENT, "", "")
    assert stats_of(sent) == (3, 0)


def test_unsubscribe_method_other_than_get_or_post_is_405(sent: Campaign) -> None:
    assert Client().put(link_in_email_to("person1@example.com")).status_code == 405
    assert Suppression.objects.count() == 0


def test_unsubscribed_address_is_suppressed_in_the_agencys_next_campaign(
    sent: Campaign, agency: Agency, tmp_path: Path
) -> None:
    Client().post(link_in_email_to("person1@example.com"), {"reason": "moved"})
    colleague = make_officer("colleague@agency.gov.sg", agency=agency)
    client = Client()
    client.force_login(colleague)
    (tmp_path / "next").mkdir()
    later = make_email_campaign(colleague, people(3), tmp_path=tmp_path / "next", name="Next")

    counts = client.get(f"/campaigns/{later.pk}/recipients/").content.decode()
    rejected = streamed(client.get(f"/campaigns/{later.pk}/rejected.csv"))
    InboxMessage.objects.all().delete()
    send_all(later)

    assert 'data-testid="count-suppressed">1<' in counts
    assert list(csv.reader(io.StringIO(rejected))) == [
        ["row", "recipient", "reason"],
        ["3", "person1@example.com", "Suppressed: Unsubscribed"],
    ]
    assert sorted(InboxMessage.objects.values_list("to", flat=True)) == [
        "person0@example.com",
        "person2@example.com",
    ]


def test_unsubscribe_does_not_reach_another_agencys_campaigns(sent: Campaign, tmp_path: Path) -> None:
    Client().post(link_in_email_to("person1@example.com"), {})
    other = make_officer("someone@other.gov.sg", agency=Agency.objects.create(name="Other Agency"))
    (tmp_path / "other").mkdir()

    theirs = make_email_campaign(other, people(3), tmp_path=tmp_path / "other")

    assert CampaignStats.objects.get(pk=theirs.pk).suppressed == 0


def test_address_unsubscribed_after_upload_is_skipped_at_launch(
    sent: Campaign, agency: Agency, tmp_path: Path
) -> None:
    colleague = make_officer("colleague@agency.gov.sg", agency=agency)
    (tmp_path / "next").mkdir()
    later = make_email_campaign(colleague, people(3), tmp_path=tmp_path / "next", name="Next")
    Client().post(link_in_email_to("person2@example.com"), {})

    services.launch_campaign(campaign=later, by=colleague)

    stats = CampaignStats.objects.get(pk=later.pk)
    assert (stats.queued, stats.suppressed) == (2, 1)
    skipped = Message.objects.get(campaign=later, recipient="person2@example.com")
    assert (skipped.status, skipped.error) == (MessageStatus.SUPPRESSED, "Suppressed: Unsubscribed")


def test_page_names_the_sender_and_its_agency(agency_officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(agency_officer, people(1), tmp_path=tmp_path)
    Campaign.objects.filter(pk=campaign.pk).update(sender_name="Clinic A")
    send_all(campaign)

    page = text_of(Client().get(link_in_email_to("person0@example.com")))

    assert "Stop emails from Clinic A (Ministry of Examples) to person0@example.com?" in page
