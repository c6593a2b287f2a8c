"""Fixtures and row makers for the SMS channel's tests: Twilio is the fake provider on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from campaigns import services
from campaigns.models import Campaign
from channels_sms import encryption
from channels_sms import services as sms_services
from channels_sms.models import TwilioCredential
from channels_sms.services import choose_credential
from tests.factories import load_rows

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "authtoken-0000000000000000-abcd"
API_KEY_SID = "SK" + "2" * 32
API_KEY_SECRET = "apikeysecret-000000000000-wxyz"
SENDER = "+6580000000"
OWN_MOBILE = "+6598765432"  # the officer's own, verified with the credential
BODY = "Hi {{name}}, your code is {{code}}."


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def twilio(fake_provider: Any, settings: Any) -> Any:
    """The fake provider as Twilio; callbacks off unless a test turns them on."""
    settings.TWILIO_BASE_URL = fake_provider.url
    fake_provider.configure(twilio_callbacks=False)
    return fake_provider


@pytest.fixture
def other_client(other_officer: User) -> Client:
    client = Client()
    client.force_login(other_officer)
    return client


def make_credential(
    owner: User,
    *,
    label: str = "Main account",
    account_sid: str = ACCOUNT_SID,
    auth_token: str = AUTH_TOKEN,
    api_key: bool = False,
    max_rate: int = 100,
    verified_number: str = OWN_MOBILE,
) -> TwilioCredential:
    """A stored credential, as if verified (the verification itself is tested on the page)."""
    return TwilioCredential.objects.create(
        owner=owner,
        label=label,
        account_sid=account_sid,
        auth_token_encrypted=encryption.encrypt(auth_token),
        auth_token_last4=auth_token[-4:],
        api_key_sid=API_KEY_SID if api_key else "",
        api_key_secret_encrypted=encryption.encrypt(API_KEY_SECRET) if api_key else "",
        api_key_secret_last4=API_KEY_SECRET[-4:] if api_key else "",
        from_number=SENDER,
        max_rate=max_rate,
        verified_at=timezone.now(),
        verified_number=verified_number,
    )


def phones(count: int, *, start: int = 0) -> list[dict[str, str]]:
    return [
        {"recipient": f"9100 {i:04d}", "name": f"Person {i}", "code": f"C{i:04d}"}
        for i in range(start, start + count)
    ]


def number(i: int) -> str:
    return f"+659100{i:04d}"


def make_sms_campaign(
    owner: User,
    rows: list[dict[str, str]],
    *,
    tmp_path: Path,
    body: str = BODY,
    credential: TwilioCredential | None = None,
    name: str = "SMS campaign",
) -> Campaign:
    """A draft SMS campaign with its template, recipients loaded inline, and its credential."""
    campaign = services.create_campaign(owner=owner, name=name, channel="sms")
    sms_services.save_sms_template(campaign=campaign, body=body)
    if rows:
        load_rows(campaign, rows, tmp_path=tmp_path)
    if credential is not None:
        choose_credential(campaign=campaign, credential=credential)
    campaign.refresh_from_db()
    return campaign
