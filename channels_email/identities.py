"""From addresses besides the platform's own, usable only while SES may send from them with DKIM.

SES sends from an address when the address itself or its domain is a verified identity, and DKIM
signs it when that identity's DKIM status is SUCCESS. We ask GetEmailIdentity for the address,
then for its domain, when an address is added and again before each launch: an identity can
lapse (DNS records removed, the identity deleted) long after it was added.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Agency, User
from channels_email.addresses import InvalidRecipient, normalise_email
from channels_email.errors import ses_words
from channels_email.models import SenderAddress
from channels_email.transport import ses_client


class SenderAddressRefused(ValueError):
    """An address that cannot be sent from; the message is shown to the officer or admin as is."""


@dataclass(frozen=True)
class IdentityCheck:
    usable: bool
    problem: str = ""


def platform_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


def _lookup(identity: str) -> dict[str, object] | None:
    try:
        found: dict[str, object] = ses_client().get_email_identity(EmailIdentity=identity)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NotFoundException":
            return None
        raise
    return found


def _dkim_status(found: dict[str, object]) -> str:
    dkim = found.get("DkimAttributes")
    return str(dkim.get("Status", "")) if isinstance(dkim, dict) else ""


def check_identity(address: str) -> IdentityCheck:
    """Whether SES will send from `address` signed with DKIM, and if not, why (for people)."""
    if settings.EMAIL_PROVIDER != "ses":
        return IdentityCheck(False, "Own from addresses need Amazon SES, which this Postman does not use.")
    domain = address.rpartition("@")[2]
    try:
        candidates = [found for identity in (address, domain) if (found := _lookup(identity))]
    except ClientError as error:
        found = error.response.get("Error", {})
        reason = ses_words(found.get("Code", ""), found.get("Message", ""))
        return IdentityCheck(False, f"Amazon SES could not be asked about {address}: {reason}. Try again.")
    except BotoCoreError as error:
        return IdentityCheck(
            False, f"Amazon SES could not be reached to ask about {address} ({error}). Try again."
        )
    if not candidates:
        return IdentityCheck(False, f"{address} is not set up in Amazon SES: ask your administrator.")
    verified = [found for found in candidates if found.get("VerifiedForSendingStatus") is True]
    if not verified:
        return IdentityCheck(False, f"{address} is not verified in Amazon SES yet.")
    if not any(_dkim_status(found) == "SUCCESS" for found in verified):
        status = _dkim_status(verified[0]) or "not set up"
        return IdentityCheck(False, f"{address} has no working DKIM signature in Amazon SES ({status}).")
    return IdentityCheck(True)


def _record(sender: SenderAddress, check: IdentityCheck) -> None:
    sender.verified, sender.problem, sender.checked_at = check.usable, check.problem, timezone.now()


def _clean_address(raw: str) -> str:
    try:
        address = normalise_email(raw)
    except InvalidRecipient as error:
        raise SenderAddressRefused(error.reason) from None
    if address == platform_address():
        raise SenderAddressRefused(f"{address} is Postman's own address: every campaign may use it.")
    return address


@transaction.atomic
def add_own_address(*, officer: User, address: str) -> SenderAddress:
    """Let `officer` send from their own address, once SES says it is verified with DKIM."""
    address = _clean_address(address)
    if address != officer.email:
        raise SenderAddressRefused(
            f"You can add only your own address, {officer.email}. "
            "For an agency address, ask your Postman administrator."
        )
    check = check_identity(address)
    if not check.usable:
        raise SenderAddressRefused(check.problem)
    sender, _ = SenderAddress.objects.get_or_create(address=address, owner=officer)
    _record(sender, check)
    sender.save()
    return sender


def check_agency_address(*, agency: Agency, address: str) -> tuple[str, IdentityCheck]:
    """The normalised address an admin grants to `agency`, and SES's answer for it."""
    address = _clean_address(address)
    return address, check_identity(address)


@transaction.atomic
def grant_agency_address(*, agency: Agency, address: str) -> SenderAddress:
    address, check = check_agency_address(agency=agency, address=address)
    if not check.usable:
        raise SenderAddressRefused(check.problem)
    sender, _ = SenderAddress.objects.get_or_create(address=address, agency=agency)
    _record(sender, check)
    sender.save()
    return sender


def remove_own_address(*, officer: User, pk: int) -> None:
    SenderAddress.objects.filter(pk=pk, owner=officer).delete()


def granted_to(officer: User) -> list[SenderAddress]:
    """The officer's own addresses and their agency's, verified or not, own first."""
    holders = Q(owner=officer)
    if officer.agency_id:
        holders |= Q(agency_id=officer.agency_id)
    return sorted(SenderAddress.objects.filter(holders), key=lambda s: (s.owner_id is None, s.address))


def usable_from_addresses(officer: User) -> list[str]:
    """Addresses the officer may choose: granted and verified when last checked."""
    return sorted({sender.address for sender in granted_to(officer) if sender.verified})


def from_problem(*, officer: User, address: str) -> str:
    """Why `officer` cannot send from `address` right now ("" when they can): asks SES again."""
    if not address or address == platform_address():
        return ""
    granted = [sender for sender in granted_to(officer) if sender.address == address]
    if not granted:
        return f"{address} is no longer yours to send from: choose another from address."
    check = check_identity(address)
    for sender in granted:
        _record(sender, check)
        sender.save(update_fields=["verified", "problem", "checked_at"])
    if not check.usable:
        return f"The from address cannot be used: {check.problem}"
    return ""


def recheck_sender_addresses() -> int:
    """Ask SES again about every granted address (daily), so API sends stop using a lapsed one."""
    lapsed = 0
    for address in SenderAddress.objects.values_list("address", flat=True).distinct():
        check = check_identity(address)
        SenderAddress.objects.filter(address=address).update(
            verified=check.usable, problem=check.problem, checked_at=timezone.now()
        )
        lapsed += not check.usable
    return lapsed
