"""API keys: create (shown once), authenticate by hash, revoke, and remind before expiry."""

from __future__ import annotations

import calendar
import hashlib
import secrets
import string
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from api.models import ApiKey, ApiSettings

_ALPHABET = string.ascii_letters + string.digits
# 43 base-62 characters: about 256 random bits, so a plain SHA-256 of the key is enough to
# store it; nobody can guess their way to a key whose hash they hold.
_RANDOM_CHARS = 43


class ApiKeyError(Exception):
    pass


def key_prefix() -> str:
    return f"postman_{settings.API_KEY_ENVIRONMENT}_"


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when it is shorter (31 Aug + 6 → 28 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@transaction.atomic
def create_api_key(*, owner: User, label: str, months: int | None = None) -> tuple[ApiKey, str]:
    """A new key for `owner`; returns the row and the plain key, which is never stored."""
    label = label.strip()
    if not label:
        raise ApiKeyError("Give the key a label, so you can tell your keys apart.")
    months = months or settings.API_KEY_VALIDITY_MONTHS
    if not 1 <= months <= 24:
        raise ApiKeyError("A key is valid for 1 to 24 months.")
    _require_room_for_a_key(owner)
    plain = key_prefix() + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))
    key = ApiKey.objects.create(
        owner=owner,
        label=label[:255],
        prefix=key_prefix(),
        key_hash=hash_key(plain),
        last_four=plain[-4:],
        expires_at=add_months(timezone.now(), months),
    )
    return key, plain


def max_active_keys(owner: User) -> int:
    api_settings = ApiSettings.objects.filter(user=owner).first()
    return api_settings.max_active_keys if api_settings else settings.API_MAX_ACTIVE_KEYS


def _require_room_for_a_key(owner: User) -> None:
    # The owner's row lock makes two simultaneous requests count one after the other.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    cap = max_active_keys(owner)
    if ApiKey.objects.owned_by(owner).usable(timezone.now()).count() >= cap:
        raise ApiKeyError(
            f"You already have {cap} active keys, the most you may hold. "
            "Revoke one you no longer use, then create the new one."
        )


def revoke_api_key(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


class KeyRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# A write per request would be one per 100 ms at the default rate; once a minute is plenty.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


def authenticate_key(*, plain: str, now: datetime | None = None) -> ApiKey:
    """The usable key matching `plain`, with its owner; raise KeyRefused saying why not.

    The lookup is by hash on a unique index: comparing hashes, not keys, leaks nothing useful
    through timing.
    """
    now = now or timezone.now()
    key = (
        ApiKey.objects.select_related("owner", "owner__api_settings").filter(key_hash=hash_key(plain)).first()
        if plain
        else None
    )
    if key is None:
        raise KeyRefused("Invalid API key.")
    if key.revoked_at is not None:
        raise KeyRefused("This API key has been revoked.")
    if key.expires_at <= now:
        raise KeyRefused("This API key has expired.")
    if not key.owner.is_active:
        raise KeyRefused("The account this API key belongs to is disabled.")
    ApiKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - _LAST_USED_GRANULARITY)
    ).update(last_used_at=now)
    return key


def rate_per_second(key: ApiKey) -> int:
    api_settings = getattr(key.owner, "api_settings", None)
    return api_settings.rate_per_second if api_settings else settings.API_DEFAULT_RATE_PER_SECOND


def remind_expiring_keys(*, now: datetime | None = None) -> int:
    """Email each owner once per threshold (28, 14, 3, 1 days) before a key expires.

    A key that crosses several thresholds at once (created with 2 days left, or a missed day)
    gets one email, for the nearest; the others are recorded as passed.
    """
    now = now or timezone.now()
    thresholds = sorted(settings.API_KEY_REMINDER_DAYS)
    horizon = now + timedelta(days=max(thresholds) + 1)  # whole calendar days, whatever the hour
    sent = 0
    for key in ApiKey.objects.usable(now).filter(expires_at__lte=horizon).select_related("owner"):
        days_left = (timezone.localdate(key.expires_at) - timezone.localdate(now)).days
        due = [days for days in thresholds if days_left <= days and days not in key.reminders_sent]
        if not due:
            continue
        with transaction.atomic():
            locked = ApiKey.objects.select_for_update().get(pk=key.pk)
            if min(due) in locked.reminders_sent:
                continue  # another run got here first
            locked.reminders_sent = sorted({*locked.reminders_sent, *due}, reverse=True)
            locked.save(update_fields=["reminders_sent"])
            _send_reminder(locked, days_left)
        sent += 1
    return sent


def _send_reminder(key: ApiKey, days_left: int) -> None:
    context = {
        "key": key,
        "days_left": days_left,
        "expires_on": timezone.localtime(key.expires_at),
        "keys_url": settings.SITE_URL + reverse("api:keys"),
    }
    send_mail(
        subject=f"Your Postman API key “{key.label}” expires {_in_days(days_left)}",
        message=render_to_string("api/email/key_expiry.txt", context),
        from_email=None,
        recipient_list=[key.owner.email],
        html_message=render_to_string("api/email/key_expiry.html", context),
    )


def _in_days(days: int) -> str:
    return "today" if days <= 0 else f"in {days} day{'s' if days != 1 else ''}"
