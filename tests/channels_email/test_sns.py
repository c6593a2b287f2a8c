from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from campaigns.models import CampaignStats, Message, MessageStatus, Suppression
from channels_email import sns
from tests.sns import (
    CERT_URL,
    SUBSCRIBE_URL,
    TOPIC,
    FakeAws,
    make_key_and_cert,
    sent_campaign,
    ses_event,
    sign,
    sns_time,
)

pytestmark = pytest.mark.django_db

URL = "/events/ses/"


def post(message: Any, client: Client | None = None) -> Any:
    body = message if isinstance(message, str) else json.dumps(message)
    return (client or Client()).post(
        URL,
        body,
        content_type="text/plain; charset=UTF-8",
        headers={"x-amz-sns-message-type": "Notification"},
    )


def message_for(recipient: str) -> Message:
    return Message.objects.get(recipient=recipient)


def counters(campaign: Any) -> tuple[int, int, int, int, int]:
    stats = CampaignStats.objects.get(pk=campaign.pk)
    return stats.sent, stats.delivered, stats.bounced, stats.failed, stats.unsubscribed


def suppressions() -> list[tuple[str, str, Any]]:
    return list(Suppression.objects.order_by("recipient").values_list("recipient", "reason", "agency_id"))


# Signatures


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_delivery_moves_the_message_to_delivered(
    version: str, officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 2)

    response = post(fake_aws.notification(ses_event("Delivery", "prov-1"), version=version))

    assert (response.status_code, response.content) == (200, b"Recorded Delivery.")
    assert message_for("person1@example.com").status == MessageStatus.DELIVERED
    assert message_for("person0@example.com").status == MessageStatus.SENT
    assert counters(campaign) == (1, 1, 0, 0, 0)


def test_forged_body_is_refused_and_changes_nothing(officer: Any, fake_aws: FakeAws, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)
    genuine = fake_aws.notification(ses_event("Delivery", "prov-0"))
    forged = {**genuine, "Message": json.dumps(ses_event("Bounce", "prov-0", address="person0@example.com"))}

    response = post(forged)

    assert response.status_code == 403
    assert message_for("person0@example.com").status == MessageStatus.SENT
    assert counters(campaign) == (1, 0, 0, 0, 0)
    assert suppressions() == []


def test_message_signed_by_another_key_is_refused(officer: Any, fake_aws: FakeAws, tmp_path: Path) -> None:
    sent_campaign(officer, tmp_path, 1)
    other_key, _ = make_key_and_cert()
    unsigned = {k: v for k, v in fake_aws.notification(ses_event("Delivery", "prov-0")).items()}
    del unsigned["Signature"], unsigned["SignatureVersion"]

    response = post(sign(unsigned, other_key))

    assert response.status_code == 403
    assert message_for("person0@example.com").status == MessageStatus.SENT


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://sns.ap-southeast-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.ap-southeast-1.amazonaws.com/cert.pem",
        "http://sns.ap-southeast-1.amazonaws.com/cert.pem",
        "https://sns.ap-southeast-1.amazonaws.com:8443/cert.pem",
        "https://user@sns.ap-southeast-1.amazonaws.com/cert.pem",
        "https://evil.example\\@sns.ap-southeast-1.amazonaws.com/cert.pem",
        "https://sns.ap-southeast-1.amazonaws.com/cert.txt",
        "https://s3.amazonaws.com/sns.ap-southeast-1.amazonaws.com/cert.pem",
        # Hosts of the old pattern "sns.<anything>.amazonaws.com": not SNS regions.
        "https://sns.s3.amazonaws.com/cert.pem",
        "https://sns.evil-bucket.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com.cn/cert.pem",
        "https://sns.cn-north-1.amazonaws.com/cert.pem",
    ],
)
def test_certificate_from_another_host_is_refused_without_fetching_it(
    cert_url: str, officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    sent_campaign(officer, tmp_path, 1)
    attacker_key, _ = make_key_and_cert()
    message = fake_aws.notification(ses_event("Delivery", "prov-0"))
    message = sign({**message, "SigningCertURL": cert_url}, attacker_key)

    response = post(message)

    assert response.status_code == 403
    assert fake_aws.requested == []
    assert message_for("person0@example.com").status == MessageStatus.SENT


def test_china_region_certificate_host_is_allowed() -> None:
    assert sns.CERT_URL.fullmatch("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem")
    assert sns.is_sns_url("https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription")


@pytest.mark.parametrize(
    "host",
    [
        "sns.ap-southeast-1.amazonaws.com",
        "sns.us-east-1.amazonaws.com",
        "sns.eu-central-2.amazonaws.com",
        "sns.us-gov-west-1.amazonaws.com",
        "sns.cn-northwest-1.amazonaws.com.cn",
    ],
)
def test_certificate_hosts_of_real_regions_are_allowed(host: str) -> None:
    assert sns.CERT_URL.fullmatch(f"https://{host}/SimpleNotificationService-1.pem")


# Freshness and replays


def test_notification_signed_two_hours_ago_is_refused_without_fetching(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    sent_campaign(officer, tmp_path, 1)
    old = fake_aws.notification(
        ses_event("Bounce", "prov-0", address="person0@example.com"),
        signed_at=datetime.now(UTC) - timedelta(hours=2),
    )

    response = post(old)

    assert (response.status_code, response.content) == (403, b"Not a valid SNS message for this service.")
    assert fake_aws.requested == []
    assert message_for("person0@example.com").status == MessageStatus.SENT
    assert suppressions() == []


def test_notification_signed_59_minutes_ago_is_recorded(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    sent_campaign(officer, tmp_path, 1)
    late = fake_aws.notification(
        ses_event("Delivery", "prov-0"), signed_at=datetime.now(UTC) - timedelta(minutes=59)
    )

    response = post(late)

    assert (response.status_code, response.content) == (200, b"Recorded Delivery.")
    assert message_for("person0@example.com").status == MessageStatus.DELIVERED


@pytest.mark.parametrize("timestamp", ["in ten minutes", "yesterday", "2025-03-01 01:02:03", "soon"])
def test_notification_from_the_future_or_with_a_bad_timestamp_is_refused(
    timestamp: str, officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    sent_campaign(officer, tmp_path, 1)
    times = {
        "in ten minutes": sns_time(datetime.now(UTC) + timedelta(minutes=10)),
        "yesterday": sns_time(datetime.now(UTC) - timedelta(days=1)),
    }
    unsigned = fake_aws.notification(ses_event("Delivery", "prov-0"))
    del unsigned["Signature"], unsigned["SignatureVersion"]

    response = post(sign({**unsigned, "Timestamp": times.get(timestamp, timestamp)}, fake_aws.key))

    assert response.status_code == 403
    assert message_for("person0@example.com").status == MessageStatus.SENT


def test_replayed_bounce_does_not_suppress_an_address_an_admin_released(
    officer: Any, fake_aws: FakeAws, tmp_path: Path, admin_client: Client
) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)
    bounce = fake_aws.notification(ses_event("Bounce", "prov-0", address="person0@example.com"))
    assert post(bounce).status_code == 200
    suppression = Suppression.objects.get(recipient="person0@example.com")
    released = admin_client.post(f"/admin/campaigns/suppression/{suppression.pk}/delete/", {"post": "yes"})
    assert released.status_code == 302

    replayed = post(bounce)

    assert (replayed.status_code, replayed.content) == (200, b"Already recorded.")
    assert suppressions() == []
    assert counters(campaign) == (0, 0, 1, 0, 0)


def test_a_new_bounce_after_a_release_suppresses_again(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    sent_campaign(officer, tmp_path, 1)
    post(fake_aws.notification(ses_event("Bounce", "prov-0", address="person0@example.com")))
    Suppression.objects.all().delete()

    response = post(fake_aws.notification(ses_event("Bounce", "other-id", address="person0@example.com")))

    assert (response.status_code, response.content) == (200, b"Recorded Bounce.")
    assert suppressions() == [("person0@example.com", "bounced", None)]


def test_replayed_subscription_as_a_notification_is_refused(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    sent_campaign(officer, tmp_path, 1)
    subscription = fake_aws.subscription()
    replayed = {
        **subscription,
        "Type": "Notification",
        "Message": json.dumps(ses_event("Bounce", "prov-0", address="person0@example.com")),
    }

    response = post(replayed)

    assert response.status_code == 403
    assert message_for("person0@example.com").status == MessageStatus.SENT
    assert suppressions() == []


def test_notification_replayed_as_a_subscription_is_not_confirmed(fake_aws: FakeAws) -> None:
    notification = fake_aws.notification(ses_event("Delivery", "prov-0"))
    replayed = {
        **notification,
        "Type": "SubscriptionConfirmation",
        "SubscribeURL": SUBSCRIBE_URL,
        "Token": "t",
    }

    response = post(replayed)

    assert response.status_code == 403
    assert SUBSCRIBE_URL not in fake_aws.requested


def test_unsigned_post_is_refused(officer: Any, fake_aws: FakeAws, tmp_path: Path) -> None:
    sent_campaign(officer, tmp_path, 1)
    message = fake_aws.notification(ses_event("Delivery", "prov-0"))
    del message["Signature"]

    response = post(message)

    assert response.status_code == 403
    assert message_for("person0@example.com").status == MessageStatus.SENT


@pytest.mark.parametrize(
    "change", [{"SignatureVersion": "3"}, {"Signature": "not base64!"}, {"Type": "Surprise"}, {"Message": 5}]
)
def test_malformed_signature_fields_are_refused(change: dict[str, Any], fake_aws: FakeAws) -> None:
    response = post({**fake_aws.notification(ses_event("Delivery", "prov-0")), **change})

    assert response.status_code == 403


def test_message_from_a_topic_not_ours_is_refused_without_fetching(
    fake_aws: FakeAws, settings: Any, officer: Any, tmp_path: Path
) -> None:
    sent_campaign(officer, tmp_path, 1)
    settings.SES_SNS_TOPIC_ARNS = ["arn:aws:sns:ap-southeast-1:123456789012:another-topic"]

    response = post(fake_aws.notification(ses_event("Delivery", "prov-0")))

    assert response.status_code == 403
    assert fake_aws.requested == []
    assert message_for("person0@example.com").status == MessageStatus.SENT


def test_no_topic_configured_refuses_everything(fake_aws: FakeAws, settings: Any) -> None:
    settings.SES_SNS_TOPIC_ARNS = []

    assert post(fake_aws.subscription()).status_code == 403
    assert fake_aws.requested == []


def test_expired_certificate_is_refused(fake_aws: FakeAws, officer: Any, tmp_path: Path) -> None:
    sent_campaign(officer, tmp_path, 1)
    key, pem = make_key_and_cert(days=-2)
    fake_aws.key, fake_aws.pem = key, pem

    response = post(fake_aws.notification(ses_event("Delivery", "prov-0")))

    assert response.status_code == 403
    assert message_for("person0@example.com").status == MessageStatus.SENT


def test_certificate_is_fetched_once_then_cached(officer: Any, fake_aws: FakeAws, tmp_path: Path) -> None:
    sent_campaign(officer, tmp_path, 2)

    first = post(fake_aws.notification(ses_event("Delivery", "prov-0"), message_id="a"))
    second = post(fake_aws.notification(ses_event("Delivery", "prov-1"), message_id="b"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert fake_aws.requested == [CERT_URL]


def test_certificate_fetch_uses_a_timeout_and_no_redirects(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    class Answer:
        status_code = 200
        content = b"-----BEGIN CERTIFICATE-----"

    def fake_get(url: str, **options: Any) -> Answer:
        calls.append((url, options))
        return Answer()

    monkeypatch.setattr(sns.requests, "get", fake_get)

    assert sns.fetch_certificate(CERT_URL) == b"-----BEGIN CERTIFICATE-----"
    assert calls == [(CERT_URL, {"timeout": 5, "allow_redirects": False})]


# Malformed posts


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', ""])
def test_body_that_is_not_an_sns_object_is_400(body: str, fake_aws: FakeAws) -> None:
    response = post(body)

    assert response.status_code == 400
    assert fake_aws.requested == []


def test_signed_notification_that_is_not_an_ses_event_is_400(officer: Any, fake_aws: FakeAws) -> None:
    message = fake_aws.notification({"hello": "world"})
    not_json = sign(
        {**{k: v for k, v in message.items() if k not in ("Signature",)}, "Message": "{", "MessageId": "x"},
        fake_aws.key,
    )

    assert post(message).status_code == 400
    assert post(not_json).status_code == 400


def test_get_is_not_allowed() -> None:
    assert Client().get(URL).status_code == 405


def test_endpoint_needs_no_csrf_token(officer: Any, fake_aws: FakeAws, tmp_path: Path) -> None:
    sent_campaign(officer, tmp_path, 1)

    response = post(fake_aws.notification(ses_event("Delivery", "prov-0")), Client(enforce_csrf_checks=True))

    assert response.status_code == 200
    assert message_for("person0@example.com").status == MessageStatus.DELIVERED


# Subscriptions


def test_subscription_confirmation_visits_the_subscribe_url(fake_aws: FakeAws) -> None:
    response = post(fake_aws.subscription())

    assert (response.status_code, response.content) == (200, b"Subscribed.")
    assert fake_aws.requested == [CERT_URL, SUBSCRIBE_URL]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/?Action=ConfirmSubscription",
        "http://sns.ap-southeast-1.amazonaws.com/?Action=ConfirmSubscription",
        "https://sns.ap-southeast-1.amazonaws.com.evil.example/?Action=ConfirmSubscription",
        "https://x@sns.ap-southeast-1.amazonaws.com/?Action=ConfirmSubscription",
    ],
)
def test_subscription_to_a_url_off_sns_is_not_visited(url: str, fake_aws: FakeAws) -> None:
    response = post(fake_aws.subscription(subscribe_url=url))

    assert response.status_code == 403
    assert fake_aws.requested == [CERT_URL]


def test_subscription_sns_refuses_answers_502(fake_aws: FakeAws) -> None:
    fake_aws.confirm_status = 403

    response = post(fake_aws.subscription())

    assert response.status_code == 502


# SES events


def test_permanent_bounce_bounces_the_message_and_suppresses_the_address(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 2)
    event = ses_event(
        "Bounce",
        "prov-0",
        address="Person0@Example.com",
        subtype="NoEmail",
        diagnostic="smtp; 550 5.1.1 unknown",
    )

    response = post(fake_aws.notification(event))

    message = message_for("person0@example.com")
    assert response.status_code == 200
    assert (message.status, message.error_code, message.error) == (
        MessageStatus.BOUNCED,
        "Hard bounce",
        "NoEmail: smtp; 550 5.1.1 unknown",
    )
    assert counters(campaign) == (1, 0, 1, 0, 0)
    assert suppressions() == [("person0@example.com", "bounced", None)]


def test_transient_bounce_fails_the_message_with_its_subtype(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)
    event = ses_event(
        "Bounce", "prov-0", bounce_type="Transient", subtype="MailboxFull", address="person0@example.com"
    )

    post(fake_aws.notification(event))

    message = message_for("person0@example.com")
    assert (message.status, message.error_code, message.error, message.error_permanent) == (
        MessageStatus.FAILED,
        "Transient bounce",
        "MailboxFull",
        False,
    )
    assert counters(campaign) == (0, 0, 0, 1, 0)
    assert suppressions() == []


def test_complaint_suppresses_the_address_and_counts_as_unsubscribed(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)
    post(fake_aws.notification(ses_event("Delivery", "prov-0"), message_id="d"))

    post(
        fake_aws.notification(ses_event("Complaint", "prov-0", address="person0@example.com"), message_id="c")
    )

    message = message_for("person0@example.com")
    assert (message.status, message.error_code, message.error) == (
        MessageStatus.UNSUBSCRIBED,
        "Complaint",
        "Complaint: abuse",
    )
    assert counters(campaign) == (0, 0, 0, 0, 1)
    assert suppressions() == [("person0@example.com", "complained", None)]


def test_not_spam_feedback_changes_nothing(officer: Any, fake_aws: FakeAws, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)

    post(
        fake_aws.notification(
            ses_event("Complaint", "prov-0", address="person0@example.com", feedback="not-spam")
        )
    )

    assert message_for("person0@example.com").status == MessageStatus.SENT
    assert counters(campaign) == (1, 0, 0, 0, 0)
    assert suppressions() == []


def test_delivery_arriving_after_the_bounce_leaves_it_bounced(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)
    post(fake_aws.notification(ses_event("Bounce", "prov-0", address="person0@example.com"), message_id="b"))

    late = post(fake_aws.notification(ses_event("Delivery", "prov-0"), message_id="d"))

    assert late.status_code == 200
    assert message_for("person0@example.com").status == MessageStatus.BOUNCED
    assert counters(campaign) == (0, 0, 1, 0, 0)


def test_bounce_after_delivery_moves_it_on_to_bounced(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)
    post(fake_aws.notification(ses_event("Delivery", "prov-0"), message_id="d"))

    post(fake_aws.notification(ses_event("Bounce", "prov-0", address="person0@example.com"), message_id="b"))

    assert message_for("person0@example.com").status == MessageStatus.BOUNCED
    assert counters(campaign) == (0, 0, 1, 0, 0)


def test_the_same_bounce_twice_counts_once(officer: Any, fake_aws: FakeAws, tmp_path: Path) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)
    notification = fake_aws.notification(ses_event("Bounce", "prov-0", address="person0@example.com"))

    post(notification)
    again = post(notification)

    assert again.status_code == 200
    assert counters(campaign) == (0, 0, 1, 0, 0)
    assert suppressions() == [("person0@example.com", "bounced", None)]


def test_transient_bounce_after_a_hard_one_changes_nothing(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)
    post(fake_aws.notification(ses_event("Bounce", "prov-0", address="person0@example.com"), message_id="h"))

    post(
        fake_aws.notification(
            ses_event("Bounce", "prov-0", bounce_type="Transient", address="person0@example.com"),
            message_id="t",
        )
    )

    assert message_for("person0@example.com").status == MessageStatus.BOUNCED
    assert counters(campaign) == (0, 0, 1, 0, 0)


def test_bounce_for_a_message_we_did_not_send_still_suppresses(fake_aws: FakeAws) -> None:
    response = post(
        fake_aws.notification(ses_event("Bounce", "someone-elses-id", address="gone@example.com"))
    )

    assert response.status_code == 200
    assert suppressions() == [("gone@example.com", "bounced", None)]


def test_other_event_types_are_acknowledged_and_ignored(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    campaign = sent_campaign(officer, tmp_path, 1)

    response = post(fake_aws.notification({"eventType": "Send", "mail": {"messageId": "prov-0"}}))

    assert (response.status_code, response.content) == (200, b"Recorded Send.")
    assert counters(campaign) == (1, 0, 0, 0, 0)


def test_identity_notification_format_is_understood(officer: Any, fake_aws: FakeAws, tmp_path: Path) -> None:
    sent_campaign(officer, tmp_path, 1)
    event = ses_event("Delivery", "prov-0")
    event["notificationType"] = event.pop("eventType")

    post(fake_aws.notification(event))

    assert message_for("person0@example.com").status == MessageStatus.DELIVERED


def test_bounced_address_is_skipped_in_the_next_campaign(
    officer: Any, fake_aws: FakeAws, tmp_path: Path
) -> None:
    from tests.factories import make_email_campaign, people

    sent_campaign(officer, tmp_path, 2)
    post(fake_aws.notification(ses_event("Bounce", "prov-0", address="person0@example.com")))

    (tmp_path / "next").mkdir()
    later = make_email_campaign(officer, people(3), tmp_path=tmp_path / "next", name="Next")

    statuses = dict(Message.objects.filter(campaign=later).values_list("recipient", "status"))
    assert statuses == {
        "person0@example.com": MessageStatus.SUPPRESSED,
        "person1@example.com": MessageStatus.QUEUED,
        "person2@example.com": MessageStatus.QUEUED,
    }
    assert (
        Message.objects.get(campaign=later, recipient="person0@example.com").error
        == "Suppressed: Hard bounce"
    )
    assert TOPIC in sns.settings.SES_SNS_TOPIC_ARNS
