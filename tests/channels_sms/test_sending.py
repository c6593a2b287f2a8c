from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from twilio.base.exceptions import TwilioRestException

from accounts.models import User
from api.schemas import SmsSendIn
from api.services.keys import create_api_key
from api.services.sms import accept_sms, deliver_sms
from campaigns import engine, services
from campaigns.delivery import Delivery
from campaigns.models import Campaign, CampaignStats, CampaignStatus, Message, MessageStatus, Suppression
from channels_sms.callbacks import callback_url
from channels_sms.models import TwilioCredential
from channels_sms.sending import credential_bucket, rate_buckets
from channels_sms.services import send_sms_test
from channels_sms.transport import result_for_error
from common.ratelimit import Bucket
from tests.campaigns.test_engine import max_in_any_second, run_to_end
from tests.channels_sms.conftest import (
    ACCOUNT_SID,
    SENDER,
    make_credential,
    make_sms_campaign,
    number,
    phones,
)


def start(campaign: Campaign, rate: int = 1000) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, send_rate=rate)
    campaign.refresh_from_db()
    return campaign


@pytest.mark.django_db
def test_sms_campaign_sends_each_message_once_with_its_values(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    campaign = start(
        make_sms_campaign(officer, phones(12), tmp_path=tmp_path, credential=make_credential(officer))
    )

    run_to_end(campaign)

    received = twilio.messages("sms")
    assert sorted(m["to"] for m in received) == [number(i) for i in range(12)]
    by_to = {m["to"]: m for m in received}
    assert by_to[number(7)]["body"] == "Hi Person 7, your code is C0007."
    assert {(m["from"], m["account"]) for m in received} == {(SENDER, ACCOUNT_SID)}
    messages = {m.recipient: m for m in Message.objects.filter(campaign=campaign)}
    assert by_to[number(7)]["status_callback"] == callback_url(messages[number(7)].pk)
    assert len({m["status_callback"] for m in received}) == 12
    assert {m.status for m in messages.values()} == {MessageStatus.SENT}
    assert messages[number(7)].provider_id == by_to[number(7)]["id"]
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.queued, stats.sending, stats.sent, stats.failed) == (0, 0, 12, 0)


@pytest.mark.django_db
def test_sms_campaign_with_api_key_and_messaging_service_sends_through_them(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    credential = make_credential(officer, api_key=True)
    TwilioCredential.objects.filter(pk=credential.pk).update(
        from_number="", messaging_service_sid="MG" + "4" * 32
    )
    campaign = start(make_sms_campaign(officer, phones(2), tmp_path=tmp_path, credential=credential))

    run_to_end(campaign)

    received = twilio.messages("sms")
    assert [(m["messaging_service_sid"], m["from"], m["account"]) for m in received] == [
        ("MG" + "4" * 32, None, ACCOUNT_SID)
    ] * 2


@pytest.mark.django_db
def test_twilio_errors_become_invalid_unsubscribed_or_failed(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    twilio.configure(
        twilio_error_numbers={number(0): 21211, number(1): 21614, number(2): 21610, number(3): 21408}
    )
    campaign = start(
        make_sms_campaign(officer, phones(5), tmp_path=tmp_path, credential=make_credential(officer))
    )

    run_to_end(campaign)

    rows = {m.recipient: (m.status, m.error_code, m.error) for m in Message.objects.filter(campaign=campaign)}
    assert rows[number(0)] == ("invalid", "21211", "The number is not a valid phone number (Twilio 21211)")
    assert rows[number(1)] == ("invalid", "21614", "The number is not a mobile number (Twilio 21614)")
    assert rows[number(2)] == (
        "unsubscribed",
        "21610",
        "The recipient replied STOP to this sender (Twilio 21610)",
    )
    assert rows[number(3)] == (
        "failed",
        "21408",
        "The Twilio account may not send SMS to this country: allow it in Twilio's geo permissions "
        "(Twilio 21408)",
    )
    assert rows[number(4)][0] == "sent"
    # Recorded for the officer's agency (every officer has one, named from their domain if need be).
    officer.refresh_from_db()
    assert officer.agency_id is not None
    assert list(
        Suppression.objects.values_list("channel", "recipient", "reason", "agency_id", "owner_id")
    ) == [("sms", number(2), "unsubscribed", officer.agency_id, None)]
    stats = CampaignStats.objects.get(pk=campaign.pk)
    assert (stats.sent, stats.invalid, stats.unsubscribed, stats.failed, stats.queued) == (1, 2, 1, 1, 0)
    assert twilio.stats()["sms"]["rejected"] == 4


@pytest.mark.django_db
def test_throttled_sends_are_retried_until_accepted(officer: User, twilio: Any, tmp_path: Path) -> None:
    twilio.configure(throttle_rate=0.5, seed=7)
    campaign = start(
        make_sms_campaign(officer, phones(20), tmp_path=tmp_path, credential=make_credential(officer))
    )

    run_to_end(campaign, slices=50)

    assert twilio.stats()["sms"]["throttled"] > 0
    assert sorted(m["to"] for m in twilio.messages("sms")) == [number(i) for i in range(20)]
    assert set(Message.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"sent"}


TOO_MANY = "Twilio is getting too many requests at once; Postman tries again (Twilio 20429)"
NOT_A_NUMBER = "The number is not a valid phone number (Twilio 21211)"
NOT_MOBILE = "The number is not a mobile number (Twilio 21614)"
STOPPED = "The recipient replied STOP to this sender (Twilio 21610)"
NO_COUNTRY = (
    "The Twilio account may not send SMS to this country: allow it in Twilio's geo permissions (Twilio 21408)"
)
WRONG_SID = "The account SID or auth token is wrong (Twilio 20003)"


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, 20429, Delivery(error_code="20429", error=TOO_MANY, throttled=True)),
        (400, 21211, Delivery(error_code="21211", error=NOT_A_NUMBER, permanent=True, status="invalid")),
        (400, 21614, Delivery(error_code="21614", error=NOT_MOBILE, permanent=True, status="invalid")),
        (400, 21610, Delivery(error_code="21610", error=STOPPED, permanent=True, status="unsubscribed")),
        (400, 21408, Delivery(error_code="21408", error=NO_COUNTRY, permanent=True)),
        (401, 20003, Delivery(error_code="20003", error=WRONG_SID, permanent=True)),
        # A code the table does not know keeps Twilio's own words, the code after them.
        (500, 20500, Delivery(error_code="20500", error="Too Many Requests (Twilio 20500)", permanent=False)),
    ],
)
def test_result_for_error_maps_twilio_codes(status: int, code: int, expected: Delivery) -> None:
    error = TwilioRestException(status, "/Messages.json", "Unable to create record: Too Many Requests", code)

    assert result_for_error(error) == expected


@pytest.mark.django_db
def test_campaign_without_credential_fails_its_messages_with_the_reason(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    campaign = start(make_sms_campaign(officer, phones(2), tmp_path=tmp_path))

    run_to_end(campaign)

    assert set(Message.objects.values_list("status", "error_code", "error")) == {
        (
            "failed",
            "NoCredential",
            "The campaign has no Twilio credential: choose one of yours in SMS settings.",
        )
    }
    assert twilio.messages("sms") == []


@pytest.mark.django_db
def test_rate_buckets_hold_campaign_rate_and_credential_ceiling(officer: User, tmp_path: Path) -> None:
    credential = make_credential(officer, max_rate=30)
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path, credential=credential)

    default = rate_buckets(campaign)
    campaign.send_rate = 50
    chosen = rate_buckets(campaign)

    assert default == (Bucket(f"campaign:{campaign.pk}", 10), Bucket(f"twilio:{credential.pk}", 30))
    assert chosen == (Bucket(f"campaign:{campaign.pk}", 50), Bucket(f"twilio:{credential.pk}", 30))


@pytest.mark.django_db(transaction=True)
def test_campaigns_sharing_a_credential_stay_under_its_ceiling_together(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    credential = make_credential(officer, max_rate=10)
    campaigns = [
        start(
            make_sms_campaign(officer, phones(15, start=s), tmp_path=tmp_path, credential=credential), rate=10
        )
        for s in (0, 100)
    ]

    def send(campaign: Campaign) -> None:
        try:
            while engine.run_for(campaign.pk, seconds=30):
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in campaigns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    received = twilio.messages("sms")
    assert len(received) == 30
    assert max_in_any_second([m["at"] for m in received]) <= 10


@pytest.mark.django_db(transaction=True)
def test_campaign_and_api_sends_on_one_credential_stay_under_its_ceiling_together(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    credential = make_credential(officer, max_rate=10)
    campaign = start(
        make_sms_campaign(officer, phones(20), tmp_path=tmp_path, credential=credential), rate=10
    )
    key = create_api_key(owner=officer, label="System")[0]
    api_ids = [
        accept_sms(
            key=key,
            data=SmsSendIn(recipient=number(100 + i), body=f"API {i}", label=credential.label),
            enqueue=lambda _id: None,
        ).pk
        for i in range(20)
    ]

    def send_campaign() -> None:
        try:
            while engine.run_for(campaign.pk, seconds=30):
                pass
        finally:
            connection.close()

    def send_api() -> None:
        try:
            for sms_id in api_ids:
                while not (outcome := deliver_sms(sms_id=sms_id)).done:
                    time.sleep(outcome.retry_in)
        finally:
            connection.close()

    threads = [threading.Thread(target=send_campaign), threading.Thread(target=send_api)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    received = twilio.messages("sms")
    assert len(received) == 40
    assert sum(1 for m in received if m["body"].startswith("API ")) == 20
    assert max_in_any_second([m["at"] for m in received]) <= 10


def test_campaign_and_api_name_the_same_bucket_for_a_credential(officer: User, tmp_path: Path) -> None:
    credential = make_credential(officer, max_rate=30)
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path, credential=credential)

    assert credential_bucket(credential) == Bucket(f"twilio:{credential.pk}", 30)
    assert rate_buckets(campaign)[-1] == credential_bucket(credential)


@pytest.mark.django_db
def test_send_sms_test_goes_to_the_given_number_marked_test(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(2), tmp_path=tmp_path)

    send_sms_test(campaign=campaign, credential=credential, to="+6598765432")

    [received] = twilio.messages("sms")
    assert (received["to"], received["body"]) == ("+6598765432", "[Test] Hi Person 0, your code is C0000.")
    assert received["status_callback"] is None
    assert Message.objects.filter(campaign=campaign, status="queued").count() == 2
    assert campaign.sms_settings.credential == credential


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("verified", "to"),
    [
        ("+6598765432", "+6591234567"),  # another Singapore mobile: not the officer's own
        ("+447700900123", "+447700900123"),  # verified, but not a Singapore mobile
        ("", "+6598765432"),  # a credential added before numbers were kept
    ],
)
def test_send_sms_test_goes_only_to_the_officers_own_singapore_mobile(
    verified: str, to: str, officer: User, twilio: Any, tmp_path: Path
) -> None:
    credential = make_credential(officer, verified_number=verified)
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path)

    with pytest.raises(services.CampaignError) as caught:
        send_sms_test(campaign=campaign, credential=credential, to=to)

    assert str(caught.value).startswith("Test SMS go only to your own Singapore mobile")
    assert twilio.messages("sms") == []


@pytest.mark.django_db
def test_send_sms_test_may_use_a_number_verified_with_another_of_the_officers_credentials(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    make_credential(officer, label="Old", verified_number="+6581234567")
    credential = make_credential(officer, label="New")
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path)

    send_sms_test(campaign=campaign, credential=credential, to="+6581234567")

    assert [m["to"] for m in twilio.messages("sms")] == ["+6581234567"]


@pytest.mark.django_db
def test_send_sms_test_is_limited_to_ten_an_hour_per_officer(
    officer: User, other_officer: User, twilio: Any, tmp_path: Path
) -> None:
    credential = make_credential(officer)
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path)
    for _ in range(10):
        send_sms_test(campaign=campaign, credential=credential, to="+6598765432")

    with pytest.raises(services.CampaignError) as caught:
        send_sms_test(campaign=campaign, credential=credential, to="+6598765432")
    theirs = make_credential(other_officer, label="Theirs")
    send_sms_test(
        campaign=make_sms_campaign(other_officer, phones(1), tmp_path=tmp_path),
        credential=theirs,
        to="+6598765432",
    )

    assert str(caught.value) == (
        "You have sent 10 test SMS in the last hour, the most allowed. Try again in 60 minutes."
    )
    assert len(twilio.messages("sms")) == 11  # ten of the officer's, one of the other's


@pytest.mark.django_db
def test_send_sms_test_refused_by_twilio_says_why(officer: User, twilio: Any, tmp_path: Path) -> None:
    twilio.configure(twilio_error_numbers={"+6598765432": 21610})
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path)

    with pytest.raises(services.CampaignError) as caught:
        send_sms_test(campaign=campaign, credential=make_credential(officer), to="+6598765432")

    assert str(caught.value) == f"The test message was not sent: {STOPPED}"


@pytest.mark.django_db
def test_send_sms_test_of_a_sent_campaign_must_use_its_credential(
    officer: User, twilio: Any, tmp_path: Path
) -> None:
    used, other = make_credential(officer), make_credential(officer, label="Other")
    campaign = make_sms_campaign(officer, phones(1), tmp_path=tmp_path, credential=used)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    campaign.refresh_from_db()

    with pytest.raises(services.CampaignError) as caught:
        send_sms_test(campaign=campaign, credential=other, to="+6598765432")
    send_sms_test(campaign=campaign, credential=used, to="+6598765432")

    assert str(caught.value) == "Tests of a sent campaign go through the credential it used."
    assert [m["to"] for m in twilio.messages("sms")] == ["+6598765432"]
    assert campaign.sms_settings.credential == used
