"""The number a resident shares with a bot, in the E.164 form recipient lists are matched on.

Telegram sends a shared contact's number in international form, with or without a leading "+"
("6591234567"). Recipient files are normalised by the SMS rules (officers write numbers one way
for both); for every number those rules accept, E.164 is also what this gives, so a shared contact
and an uploaded row meet on the same string (tests/channels_telegram/test_phones.py checks it).

The upload's normaliser for Telegram campaigns is the SMS one, common.phones.normalise_phone,
named in channel.py; this app does not import channels_sms.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

_NOT_DIGITS = re.compile(r"[\s().-]")


def shared_number(raw: str) -> str | None:
    """E.164 form of a contact's number, or None if it is not a possible phone number."""
    compact = _NOT_DIGITS.sub("", raw)
    if not re.fullmatch(r"\+?\d{6,17}", compact):
        return None
    try:
        number = phonenumbers.parse("+" + compact.removeprefix("+"), None)
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_number(e164: str) -> str:
    """ "+65 9123 4567" for replies to residents."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
