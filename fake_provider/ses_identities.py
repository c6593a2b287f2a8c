"""SES v2 GetEmailIdentity: whether an address or domain may be sent from.

Identities are set through the config key ``ses_identities``: identity (an address or a domain)
-> ``{"verified": bool, "dkim": "SUCCESS" | "PENDING" | "FAILED" | "TEMPORARY_FAILURE" |
"NOT_STARTED"}``. An identity not listed answers NotFoundException, as SES does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:  # state.py validates this module's config key: no import at run time
    from fake_provider.state import Call, ProviderState, Reply

DKIM_STATUSES = frozenset({"SUCCESS", "PENDING", "FAILED", "TEMPORARY_FAILURE", "NOT_STARTED"})


def ses_get_email_identity(state: ProviderState, call: Call) -> Reply:
    identity = unquote(call.args[0]).lower()
    found = state.config["ses_identities"].get(identity)
    if found is None:
        message = f"Email identity {identity} does not exist."
        return 404, {"message": message}, {"x-amzn-ErrorType": "NotFoundException"}
    verified = found["verified"]
    return 200, _identity(identity, verified=verified, dkim=found["dkim"]), {}


def _identity(identity: str, *, verified: bool, dkim: str) -> dict[str, Any]:
    return {
        "IdentityType": "EMAIL_ADDRESS" if "@" in identity else "DOMAIN",
        "FeedbackForwardingStatus": True,
        "VerifiedForSendingStatus": verified,
        "VerificationStatus": "SUCCESS" if verified else "PENDING",
        "DkimAttributes": {
            "SigningEnabled": dkim == "SUCCESS",
            "Status": dkim,
            "Tokens": [],
            "SigningAttributesOrigin": "AWS_SES",
        },
        "Policies": {},
        "Tags": [],
    }


def checked_identities(raw: Any) -> dict[str, dict[str, Any]]:
    """The ``ses_identities`` config value, validated; ValueError names what is wrong."""
    identities: dict[str, dict[str, Any]] = {}
    for identity, info in dict(raw).items():
        dkim = str(dict(info).get("dkim", "SUCCESS"))
        if dkim not in DKIM_STATUSES:
            raise ValueError(f"ses_identities[{identity}].dkim must be one of {sorted(DKIM_STATUSES)}")
        identities[str(identity).lower()] = {"verified": bool(info.get("verified", True)), "dkim": dkim}
    return identities
