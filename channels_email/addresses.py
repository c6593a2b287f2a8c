"""Email addresses as recipients: validate one cell and give the form we store and deduplicate on.

The stored form is email-validator's ``normalized`` address (domain lower-cased and, for IDN
domains, in Unicode form; quotes and Unicode normalisation applied) and then lower-cased as a
whole. Local parts are case-sensitive on paper, but no mail system an agency writes to treats
``Tan@x.sg`` and ``tan@x.sg`` as two people, and officers' spreadsheets mix cases freely, so one
lower-case form is what makes deduplication match what officers expect.
"""

from __future__ import annotations

import re

import email_validator
from email_validator import EmailNotValidError, validate_email

from common.recipients import InvalidRecipient

# RFC 5321 limits, the ones email-validator enforces on the whole address and on the local part.
_MAX_ADDRESS_CHARS = 254


def _special_use_lookahead() -> str:
    names = "|".join(re.escape(name) for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)
    return rf"(?!(?i:(?:[^@]*\.)?(?:{names}))\Z)"


# A strict subset of what email-validator accepts, so the common case skips its ~20 µs per call
# (a million rows would take 20 s). Everything it refuses falls through to email-validator:
# "--" anywhere in the domain (Punycode labels, which it rewrites to Unicode, and the reserved
# "ab--" labels it rejects), special-use domains such as .local and .test, one-letter or non-letter
# TLDs, and every non-ASCII character. tests/channels_email/test_addresses.py checks the subset.
_FAST_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)"  # local part of 1-64 characters
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?![^@]*--)" + _special_use_lookahead() + r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}",
    re.ASCII,
)


def is_fast_email(text: str) -> bool:
    """Whether ``text`` is a plain ASCII address accepted without calling email-validator."""
    return len(text) <= _MAX_ADDRESS_CHARS and _FAST_EMAIL.fullmatch(text) is not None


def normalise_email(raw: str) -> str:
    """Return the lower-cased normalised address, or raise InvalidRecipient saying why not.

    No DNS lookups: deliverability is learnt from bounces, and a million lookups would take hours.
    """
    text = raw.strip()
    if is_fast_email(text):
        return text.lower()
    try:
        validated = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidRecipient(f"Not a valid email address: {exc}") from None
    return validated.normalized.lower()
