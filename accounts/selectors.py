from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.urls import reverse

from accounts.models import Agency, AllowedAddress, AllowedDomain, User


def domain_matches(domain: str, rule: str) -> bool:
    """`.gov.sg` matches gov.sg and every subdomain; `agency.gov.sg` only itself."""
    if rule.startswith("."):
        return domain == rule[1:] or domain.endswith(rule)
    return domain == rule


def _matching_domain(domain: str) -> AllowedDomain | None:
    for allowed in AllowedDomain.objects.select_related("agency"):
        if domain_matches(domain, allowed.domain):
            return allowed
    return None


def is_allowed_email(email: str) -> bool:
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    if any(domain_matches(domain, rule) for rule in settings.ALLOWED_EMAIL_DOMAINS):
        return True
    if _matching_domain(domain) is not None:
        return True
    if AllowedAddress.objects.filter(email=email).exists():
        return True
    return User.objects.filter(email=email, is_active=True).exists()


def agency_for_email(email: str) -> Agency | None:
    address = AllowedAddress.objects.filter(email=email).select_related("agency").first()
    if address is not None and address.agency is not None:
        return address.agency
    domain = email.rpartition("@")[2].lower()
    allowed = _matching_domain(domain)
    if allowed is not None and allowed.agency is not None:
        return allowed.agency
    return Agency.objects.filter(domain=domain).first()


# Labels that name a kind of registry (gov.sg, co.uk, .com), never the agency itself.
_REGISTRY_LABELS = {"gov", "edu", "com", "org", "net", "mil", "ac", "co"}


def agency_name_from_domain(domain: str) -> str:
    """A readable agency name until an admin sets one: hpb.gov.sg → HPB, health-hub.gov.sg → Health Hub."""
    labels = [label for label in domain.lower().split(".") if label]
    if len(labels) > 1 and len(labels[-1]) == 2:
        labels.pop()  # the country code
    while len(labels) > 1 and labels[-1] in _REGISTRY_LABELS:
        labels.pop()
    label = labels[-1] if labels else domain
    if len(label) <= 4 and "-" not in label:
        return label.upper()  # short labels are acronyms: moh, hpb, iras
    return " ".join(word.capitalize() for word in label.replace("_", "-").split("-") if word)


def allowed_domains_description() -> str:
    rules = [*settings.ALLOWED_EMAIL_DOMAINS, *AllowedDomain.objects.values_list("domain", flat=True)]
    shown = [f"any address ending in {rule}" if rule.startswith(".") else f"@{rule}" for rule in rules]
    return ", ".join(shown)


def agency_logo_url(agency: Agency | None) -> str:
    """The logo's public address for emails ("" without one); the file name versions it for caches."""
    if agency is None or not agency.logo or not agency.logo_content_type:
        return ""
    version = PurePosixPath(agency.logo.name or "").stem[:12]
    return f"{settings.SITE_URL}{reverse('accounts:agency_logo', args=[agency.pk])}?v={version}"
