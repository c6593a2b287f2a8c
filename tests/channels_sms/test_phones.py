from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from common.phones import normalise_phone
from common.recipients import InvalidRecipient


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91234567", "+6591234567"),
        ("81234567", "+6581234567"),
        ("+65 9123 4567", "+6591234567"),
        ("6591234567", "+6591234567"),
        ("65 9123 4567", "+6591234567"),
        ("(+65) 9123-4567", "+6591234567"),
        (" 9123.4567 ", "+6591234567"),
        ("+44 7911 123456", "+447911123456"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_normalise_phone_valid(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("61234567", "Not a mobile number"),
        ("+65 6123 4567", "Not a mobile number"),
        ("abc", "Not a valid phone number"),
        ("", "Not a valid phone number"),
        ("+65 1234", "Not a valid phone number"),
        ("447911123456", "Not a valid phone number"),
        ("9123 4567 ext 12", "Not a valid phone number"),
        ("1-800-FLOWERS", "Not a valid phone number"),
        ("9123+4567", "Not a valid phone number"),
    ],
)
def test_normalise_phone_invalid_gives_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidRecipient) as caught:
        normalise_phone(raw)

    assert caught.value.reason == reason


def _phonenumbers_verdict(raw: str) -> str:
    """What phonenumbers alone says, to hold the Singapore fast path to."""
    number = phonenumbers.parse(raw, "SG")
    if not phonenumbers.is_valid_number(number):
        return "Not a valid phone number"
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return "Not a mobile number"
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _our_verdict(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except InvalidRecipient as exc:
        return exc.reason


def test_singapore_fast_path_agrees_with_phonenumbers_on_every_prefix() -> None:
    for prefix in range(8000, 10000):
        for suffix in ("0000", "5678"):
            local = f"{prefix}{suffix}"
            for raw in (local, f"65{local}", f"+65{local}"):
                assert _our_verdict(raw) == _phonenumbers_verdict(raw), raw
