from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from accounts.logos import LOGO_CONTENT_TYPE
from accounts.models import Agency, User
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


def set_agency_logo(*, agency: Agency, png: bytes | None) -> Agency:
    """Store a logo drawn by accounts.logos.draw_logo (None removes it); the old file goes."""
    old = agency.logo.name
    if png is None:
        agency.logo.name, agency.logo_content_type = "", ""
        agency.save(update_fields=["logo", "logo_content_type"])
    else:
        agency.logo.save("logo.png", ContentFile(png), save=False)
        agency.logo_content_type = LOGO_CONTENT_TYPE
        agency.save(update_fields=["logo", "logo_content_type"])
    if old and old != agency.logo.name:
        transaction.on_commit(lambda: agency.logo.storage.delete(old))
    return agency
