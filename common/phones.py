"""Phone numbers as SMS and Telegram recipients: validate one cell and give its E.164 form.

Officers' sheets hold Singapore numbers written every way ("9123 4567", "+65 9123-4567",
"6591234567"); other countries must be written with a leading "+". Only numbers that can receive
SMS are accepted: a Singapore landline is refused rather than silently failing at Twilio.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from common.recipients import InvalidRecipient

NOT_A_PHONE_NUMBER = "Not a valid phone number"
NOT_A_MOBILE_NUMBER = "Not a mobile number"

# Where a number's type is ambiguous (the US and Canada share one plan for both), let it through:
# refusing would block every North American recipient.
_SMS_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

_SEPARATORS = re.compile(r"[\s().-]")
# After separators go, only digits with an optional leading "+": phonenumbers alone would also
# accept letters ("1-800-FLOWERS") and extensions ("ext 12"), which cannot receive an SMS.
_DIGITS = re.compile(r"\+?\d{1,20}")


# Fast path for the common case: phonenumbers costs ~16 µs a number, too slow for a million rows.
# It embeds phonenumbers' own Singapore mobile pattern, so both paths agree (a test checks every
# four-digit prefix).
def _sg_mobile_pattern() -> re.Pattern[str]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("SG")
    assert metadata is not None and metadata.mobile is not None
    assert metadata.mobile.national_number_pattern is not None
    return re.compile(rf"(?:\+?65)?({metadata.mobile.national_number_pattern})", re.ASCII)


_SG_MOBILE = _sg_mobile_pattern()


def normalise_phone(raw: str, *, region: str = "SG") -> str:
    """Return the E.164 form of a mobile number, or raise InvalidRecipient saying why not.

    Numbers without a leading "+" are read as numbers of ``region``; for Singapore, "65" followed
    by eight digits is also read as the country code.
    """
    compact = _SEPARATORS.sub("", raw)
    if region == "SG" and (mobile := _SG_MOBILE.fullmatch(compact)):
        return "+65" + mobile[1]
    if not _DIGITS.fullmatch(compact):
        raise InvalidRecipient(NOT_A_PHONE_NUMBER)
    return _parse_mobile(compact, region)


def _parse_mobile(compact: str, region: str) -> str:
    try:
        number = phonenumbers.parse(compact, region)
    except NumberParseException:
        raise InvalidRecipient(NOT_A_PHONE_NUMBER) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidRecipient(NOT_A_PHONE_NUMBER)
    if phonenumbers.number_type(number) not in _SMS_TYPES:
        raise InvalidRecipient(NOT_A_MOBILE_NUMBER)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_singapore_mobile(number: str) -> bool:
    """Whether an E.164 number is a Singapore mobile."""
    return number.startswith("+65") and _SG_MOBILE.fullmatch(number) is not None
