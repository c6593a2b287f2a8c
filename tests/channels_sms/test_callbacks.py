from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from accounts.models import User
from campaigns import engine
from campaigns.models import Campaign, CampaignStats, CampaignStatus, Message, MessageStatus
from channels_sms import services
from channels_sms.callbacks import callback_token, callback_url
from channels_sms.services import CallbackOutcome
from tests.channels_sms.conftest import ACCOUNT_SID, AUTH_TOKEN, make_credential, make_sms_campaign, phones
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(officer: User, twilio: Any, tmp_path: Path) -> list[Message]:
    """Three messages Twilio accepted (status sent, with their SIDs), callbacks not yet in."""
    campaign = make_sms_campaign(officer, phones(3), tmp_path=tmp_path, credential=make_credential(officer))
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, send_rate=1000)
    engine.run_for(campaign.pk, seconds=30, sleep=lambda s: None)
    messages = list(Message.objects.filter(campaign=campaign).order_by("id"))
    assert [m.status for m in messages] == ["sent"] * 3
    return messages


def callback(message: Message, status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": message.provider_id,
        "SmsSid": message.provider_id,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": ACCOUNT_SID,
        "To": message.recipient,
        "From": "+6580000000",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def post(
    client: Client, message: Message, params: dict[str, str], *, token: str = AUTH_TOKEN, signed_for: str = ""
) -> Any:
    """Post as Twilio would: signed over the full URL (or another message's, to replay)."""
    url = callback_url(message.pk)
    signature = RequestValidator(token).compute_signature(signed_for or url, params)
    return client.post(urlsplit(url).path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def counters(message: Message) -> tuple[int, int, int]:
    stats = CampaignStats.objects.get(pk=message.campaign_id)
    return stats.sent, stats.delivered, stats.failed


def test_status_callback_signed_by_twilio_moves_message_to_delivered(
    client: Client, sent: list[Message]
) -> None:
    response = post(client, sent[0], callback(sent[0], "delivered"))

    assert response.status_code == 204
    sent[0].refresh_from_db()
    assert sent[0].status == MessageStatus.DELIVERED
    assert sent[0].delivered_at is not None
    assert counters(sent[0]) == (2, 1, 0)


def test_status_callback_with_forged_signature_is_403_and_changes_nothing(
    client: Client, sent: list[Message]
) -> None:
    response = post(client, sent[0], callback(sent[0], "delivered"), token="not-the-auth-token")

    assert response.status_code == 403
    sent[0].refresh_from_db()
    assert sent[0].status == MessageStatus.SENT
    assert counters(sent[0]) == (3, 0, 0)


def test_status_callback_without_signature_is_403(client: Client, sent: list[Message]) -> None:
    response = client.post(urlsplit(callback_url(sent[0].pk)).path, callback(sent[0], "delivered"))

    assert response.status_code == 403
    assert counters(sent[0]) == (3, 0, 0)


def test_status_callback_replayed_to_another_messages_url_is_403(client: Client, sent: list[Message]) -> None:
    genuine_for_a = callback(sent[0], "failed", ErrorCode="30003")
    a_url = callback_url(sent[0].pk)

    # The very request Twilio signed for A, posted to B's URL; then with B's SID put in the body.
    replayed = post(client, sent[1], genuine_for_a, signed_for=a_url)
    doctored = post(client, sent[1], callback(sent[1], "failed", ErrorCode="30003"), signed_for=a_url)

    assert (replayed.status_code, doctored.status_code) == (403, 403)
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert counters(sent[0]) == (3, 0, 0)


def test_status_callback_with_another_messages_sid_is_403(client: Client, sent: list[Message]) -> None:
    params = callback(sent[0], "delivered") | {"MessageSid": sent[1].provider_id}

    response = post(client, sent[0], params)

    assert response.status_code == 403
    assert counters(sent[0]) == (3, 0, 0)


def test_status_callback_for_another_account_is_403(client: Client, sent: list[Message]) -> None:
    response = post(client, sent[0], callback(sent[0], "delivered", AccountSid="AC" + "9" * 32))

    assert response.status_code == 403
    assert counters(sent[0]) == (3, 0, 0)


def test_status_callback_with_wrong_url_token_is_403(client: Client, sent: list[Message]) -> None:
    params = callback(sent[0], "delivered")
    url = callback_url(sent[0].pk).replace(callback_token(sent[0].pk), "0" * 32)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)

    response = client.post(urlsplit(url).path, params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 403
    assert counters(sent[0]) == (3, 0, 0)


def test_callback_url_given_to_twilio_before_a_key_rotation_still_works(
    client: Client, sent: list[Message], settings: Any
) -> None:
    old_url = callback_url(sent[0].pk)  # as Twilio holds it since the send
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdefghij"
    params = callback(sent[0], "delivered")

    response = client.post(
        urlsplit(old_url).path,
        params,
        HTTP_X_TWILIO_SIGNATURE=RequestValidator(AUTH_TOKEN).compute_signature(old_url, params),
    )

    assert response.status_code == 204
    sent[0].refresh_from_db()
    assert sent[0].status == MessageStatus.DELIVERED
    assert callback_url(sent[0].pk) != old_url  # new sends get URLs under the new key


def test_callback_url_under_a_key_no_longer_listed_is_403(
    client: Client, sent: list[Message], settings: Any
) -> None:
    old_url = callback_url(sent[0].pk)
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdefghij"
    params = callback(sent[0], "delivered")

    response = client.post(
        urlsplit(old_url).path,
        params,
        HTTP_X_TWILIO_SIGNATURE=RequestValidator(AUTH_TOKEN).compute_signature(old_url, params),
    )

    assert response.status_code == 403
    assert counters(sent[0]) == (3, 0, 0)


def test_status_callback_repeated_or_late_never_moves_back(client: Client, sent: list[Message]) -> None:
    first = post(client, sent[0], callback(sent[0], "delivered"))
    repeated = post(client, sent[0], callback(sent[0], "delivered"))
    late = post(client, sent[0], callback(sent[0], "sent"))

    assert [r.status_code for r in (first, repeated, late)] == [204, 204, 204]
    sent[0].refresh_from_db()
    assert sent[0].status == MessageStatus.DELIVERED
    assert counters(sent[0]) == (2, 1, 0)


def test_status_callback_failed_records_twilios_error(client: Client, sent: list[Message]) -> None:
    post(client, sent[0], callback(sent[0], "failed", ErrorCode="30003"))
    post(client, sent[1], callback(sent[1], "undelivered", ErrorCode="30999"))
    post(client, sent[1], callback(sent[1], "delivered"))

    rows = {m.pk: m for m in Message.objects.all()}
    assert (rows[sent[0].pk].status, rows[sent[0].pk].error_code) == (MessageStatus.FAILED, "30003")
    assert rows[sent[0].pk].error == "Not delivered: The phone is switched off or out of reach (Twilio 30003)"
    assert (rows[sent[1].pk].status, rows[sent[1].pk].error) == (
        MessageStatus.FAILED,
        "Not delivered: Twilio error 30999",
    )
    assert counters(sent[0]) == (1, 0, 2)


def test_status_callback_intermediate_status_changes_nothing(client: Client, sent: list[Message]) -> None:
    response = post(client, sent[0], callback(sent[0], "queued"))

    assert response.status_code == 204
    assert counters(sent[0]) == (3, 0, 0)


def test_status_callback_is_post_only(client: Client, sent: list[Message]) -> None:
    response = client.get(urlsplit(callback_url(sent[0].pk)).path)

    assert response.status_code == 405


def test_status_callback_to_an_email_message_is_403(client: Client, officer: User, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path)
    message = Message.objects.get(campaign=campaign)

    response = post(client, message, callback(message, "delivered"))

    assert response.status_code == 403


def test_status_callback_before_the_send_is_recorded_is_applied_once_it_is(
    client: Client, sent: list[Message], django_capture_on_commit_callbacks: Any
) -> None:
    # Twilio can call back while the worker is still sending the rest of the batch.
    message = sent[0]
    sid = message.provider_id
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, provider_id="")
    CampaignStats.objects.filter(pk=message.campaign_id).update(sent=2, sending=1)

    with django_capture_on_commit_callbacks() as scheduled:
        response = post(client, message, callback(message, "delivered") | {"MessageSid": sid})

    assert response.status_code == 204
    assert len(scheduled) == 1
    assert (
        services.apply_status(message_id=message.pk, message_sid=sid, status="delivered", error_code="")
        == CallbackOutcome.PENDING
    )
    engine.record_results(campaign_id=message.campaign_id, outcomes={message.pk: engine.Outcome("sent", sid)})
    assert (
        services.apply_status(message_id=message.pk, message_sid=sid, status="delivered", error_code="")
        == CallbackOutcome.APPLIED
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert counters(message) == (2, 1, 0)


def test_pending_callback_for_an_earlier_attempt_is_dropped(sent: list[Message]) -> None:
    outcome = services.apply_status(
        message_id=sent[0].pk, message_sid="SM-an-earlier-attempt", status="delivered", error_code=""
    )

    assert outcome == CallbackOutcome.DROPPED
    assert counters(sent[0]) == (3, 0, 0)


def test_apply_status_callback_task_applies_a_recorded_send(sent: list[Message]) -> None:
    from channels_sms.tasks import apply_status_callback

    result = apply_status_callback.apply(args=(sent[2].pk, sent[2].provider_id, "delivered", ""))

    assert result.get() == "applied"
    sent[2].refresh_from_db()
    assert sent[2].status == MessageStatus.DELIVERED


def test_twilio_account_repr_leaves_the_secret_out(officer: User) -> None:
    from channels_sms.transport import account_for

    account = account_for(make_credential(officer))

    assert AUTH_TOKEN not in repr(account)
    assert AUTH_TOKEN not in str(account)
