from __future__ import annotations

import random

import pytest
from email_validator import EmailNotValidError, validate_email

from channels_email.addresses import is_fast_email, normalise_email
from common.recipients import InvalidRecipient


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("alice@EXAMPLE.COM", "alice@example.com"),
        ("Alice.Tan@Agency.Gov.SG", "alice.tan@agency.gov.sg"),
        ("  bob@example.com \t", "bob@example.com"),
        ("user@Bücher.de", "user@bücher.de"),
        ("user@xn--bcher-kva.de", "user@bücher.de"),
        ("o'brien+news@sub.example.org", "o'brien+news@sub.example.org"),
    ],
)
def test_normalise_email_valid(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            '"john doe"@example.com',
            "Not a valid email address: Quoting the part before the @-sign is not allowed here.",
        ),
        ("userexample.com", "Not a valid email address: An email address must have an @-sign."),
        (
            "user..name@example.com",
            "Not a valid email address: An email address cannot have two periods in a row.",
        ),
        ("user@example.com.", "Not a valid email address: An email address cannot end with a period."),
        (
            "user@printer.local",
            "Not a valid email address: The part after the @-sign is a special-use or reserved name "
            "that cannot be used with email.",
        ),
    ],
)
def test_normalise_email_invalid_gives_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidRecipient) as caught:
        normalise_email(raw)

    assert caught.value.reason == reason
    assert str(caught.value) == reason


# Each one sits on an edge of the fast path's pattern or of email-validator's rules.
TRICKY = [
    "a@b.co",
    "a@b.c",
    "a@1.com",
    "a@a.123",
    "a@a.c1",
    "a@-ab.com",
    "a@ab-.com",
    "a@ab--cd.com",
    "a@xn--bcher-kva.de",
    "a@XN--bcher-kva.de",
    "a@xn--zz.com",
    "a@x.local",
    "a@x.LOCAL",
    "a@localhost",
    "a@x.localhost",
    "a@x.test",
    "a@x.invalid",
    "a@x.onion",
    "a@1.in-addr.arpa",
    "a@localhost.com",
    "a@example",
    "a@example.",
    "a@.example.com",
    "a@example..com",
    "a.@example.com",
    ".a@example.com",
    "a..b@example.com",
    "a b@example.com",
    "a@exa mple.com",
    "a@@example.com",
    "@example.com",
    "a@",
    "",
    "a\n@example.com",
    "a@example.com\n",
    "a@example.com ",
    '"a"@example.com',
    "a(comment)@example.com",
    "a@[127.0.0.1]",
    "a@example.com>",
    "<a@example.com>",
    "Name <a@example.com>",
    "é@example.com",
    "a@exämple.com",
    "a@example.com\u200b",
    "\uff41@example.com",  # fullwidth a
    "a@\uff45xample.com",  # fullwidth e
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "a@" + "x" * 63 + ".com",
    "a@" + "x" * 64 + ".com",
    "a@" + ".".join(["x" * 63] * 3) + "." + "y" * 58 + ".com",
    "a@" + ".".join(["x" * 63] * 3) + "." + "y" * 59 + ".com",
    "a@example.c" + "o" * 62,
    "a@example.c" + "o" * 63,
    "user+tag@example.com",
    "user_name@example.com",
    "-user-@example.com",
    "user@sub-domain.example.com",
    "user@1example.com",
    "user@example.co1",
    "user@example.c-m",
    "user@e.x.a.m.p.l.e.com",
]


def _validator_form(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address", TRICKY)
def test_fast_path_never_accepts_what_email_validator_rejects(address: str) -> None:
    if is_fast_email(address):
        assert _validator_form(address) == address.lower()


def _random_address(rng: random.Random) -> str:
    local_pieces = ["a", "Z", "9", "-", "_", "+", ".", "'", "x" * 30, "é", " ", '"', "@"]
    labels = ["a", "ex-ample", "xn--p1ai", "xn--zz", "ab--cd", "-a", "a-", "local", "LOCALHOST", "test"]
    labels += ["arpa", "com", "SG", "9", "c1", "x" * 63, "x" * 64, "", "é", "a b"]
    local = "".join(rng.choice(local_pieces) for _ in range(rng.randint(1, 3)))
    domain = ".".join(rng.choice(labels) for _ in range(rng.randint(1, 4)))
    return f"{local}@{domain}"


def test_fast_path_agrees_with_email_validator_on_random_addresses() -> None:
    rng = random.Random(20240131)
    accepted = 0
    for _ in range(50_000):
        address = _random_address(rng)
        if is_fast_email(address):
            accepted += 1
            assert _validator_form(address) == address.lower(), address

    assert accepted > 400


def test_fast_path_takes_the_common_forms() -> None:
    common = ["alice@example.com", "Alice.Tan@agency.gov.sg", "a_b+c-d@mail.sub.example.org"]

    assert all(is_fast_email(address) for address in common)
