from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.selectors import agency_for_email


def ensure_officer(*, email: str) -> User:
    """The officer's account, created on their first login with the agency their address maps to."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return User.objects.create_user(email, agency=agency_for_email(email))
    except IntegrityError:
        # Two first logins at once: the other request created the row.
        return User.objects.get(email=email)


@transaction.atomic
def create_staff(*, email: str) -> User:
    user = ensure_officer(email=email)
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user
