from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from accounts.logos import LOGO_CONTENT_TYPE
from accounts.models import Agency, User
from accounts.selectors import agency_for_email, agency_name_from_domain


def ensure_officer(*, email: str) -> User:
    """The officer's account, created on their first login with the agency their address maps to.

    An officer whose domain no admin has mapped gets an agency made for that domain, named from
    it (hpb.gov.sg → HPB) until an admin renames it, so no email goes out as "Postman via Postman".
    """
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is not None:
        if user.agency_id is None:
            user.agency = agency_for_email(email) or _agency_for_domain(email.rpartition("@")[2])
            user.save(update_fields=["agency"])
        return user
    agency = agency_for_email(email) or _agency_for_domain(email.rpartition("@")[2])
    try:
        with transaction.atomic():
            return User.objects.create_user(email, agency=agency)
    except IntegrityError:
        # Two first logins at once: the other request created the row.
        return User.objects.get(email=email)


def _agency_for_domain(domain: str) -> Agency:
    name = agency_name_from_domain(domain)
    if Agency.objects.filter(name=name).exclude(domain=domain).exists():
        name = f"{name} ({domain})"  # another agency has that name already
    try:
        with transaction.atomic():
            agency, _ = Agency.objects.get_or_create(domain=domain, defaults={"name": name})
    except IntegrityError:
        agency = Agency.objects.get(domain=domain)  # made by a concurrent first login
    return agency


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
