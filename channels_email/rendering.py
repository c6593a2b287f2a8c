"""Turning a campaign's compiled template and one recipient's values into an email.

The layout is rendered by Django once per campaign with markers where the body and the
unsubscribe link go; each message then only fills the compiled template and two markers.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.template.loader import render_to_string

from accounts.models import Agency
from accounts.selectors import agency_logo_url, agency_name_from_domain
from campaigns.models import Campaign
from campaigns.plain_text import html_to_text
from campaigns.templating import CompiledTemplate, compile_template
from channels_email.templating import compile_email_body, html_value
from channels_email.transport import OutgoingEmail, sender
from channels_email.unsubscribe import unsubscribe_url

VIA = " via Postman"
BODY_MARK = "\x00body\x00"
UNSUBSCRIBE_MARK = "\x00unsubscribe\x00"


@dataclass(frozen=True)
class EmailLayout:
    subject: CompiledTemplate
    body: CompiledTemplate
    html_shell: str
    from_email: str
    reply_to: str
    # "" is SES_CONFIGURATION_SET (which may track opens and clicks); a campaign that does not
    # track goes through SES_NO_TRACKING_CONFIGURATION_SET, as API messages with disable_tracking do.
    configuration_set: str = ""


def platform_sender() -> tuple[str, str]:
    """The shared sender's display name and address (DEFAULT_FROM_EMAIL)."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or "Postman", address.lower()


def via_postman(name: str) -> str:
    """A display name as the shared address carries it, so no one reads it as the agency's own
    mailbox: "<name> via Postman". Campaign and API emails both name their sender through here."""
    return name if name.endswith(VIA) else f"{name}{VIA}"


def sender_label(campaign: Campaign) -> str:
    """Who is writing, for pages a recipient sees: "Clinic A (HPB)", "HPB", or "Clinic A"."""
    agency = campaign.owner.agency
    agency_name = agency.shown_name if agency else ""
    if campaign.sender_name and agency_name and campaign.sender_name != agency_name:
        return f"{campaign.sender_name} ({agency_name})"
    return (
        campaign.sender_name
        or agency_name
        or agency_name_from_domain(campaign.owner.email.rpartition("@")[2])
    )


def from_header(campaign: Campaign) -> str:
    """ "<name> via Postman" from the platform address, or the name alone from a verified own one."""
    agency = campaign.owner.agency
    # An old campaign by an officer without an agency still names the officer's domain, never Postman.
    name = campaign.sender_name or (
        agency.shown_name if agency else agency_name_from_domain(campaign.owner.email.rpartition("@")[2])
    )
    if campaign.from_email:
        return sender(name, campaign.from_email)
    return sender(via_postman(name), platform_sender()[1])


def letterhead(agency: Agency | None, *, with_logo: bool = True) -> dict[str, str]:
    """The agency's name and logo above every email's body, campaign or API."""
    return {
        "agency_name": agency.shown_name if agency else "",
        "logo_url": agency_logo_url(agency) if with_logo else "",
    }


def build_layout(campaign: Campaign) -> EmailLayout:
    shell = render_to_string(
        "channels_email/email/layout.html",
        {
            **letterhead(campaign.owner.agency, with_logo=campaign.show_agency_logo),
            "body": BODY_MARK,
            "unsubscribe_url": UNSUBSCRIBE_MARK,
        },
    )
    return EmailLayout(
        subject=compile_template(campaign.subject),
        body=compile_email_body(campaign.body_html),
        html_shell=shell,
        from_email=from_header(campaign),
        configuration_set="" if campaign.track_opens else settings.SES_NO_TRACKING_CONFIGURATION_SET,
        reply_to=campaign.reply_to or campaign.owner.email,
    )


@functools.lru_cache(maxsize=64)
def _cached_layout(campaign_id: int, template_version: int) -> EmailLayout:
    return build_layout(Campaign.objects.select_related("owner__agency").get(pk=campaign_id))


def layout_for(campaign: Campaign) -> EmailLayout:
    """Compiled once per campaign and template version in each worker process."""
    return _cached_layout(campaign.pk, campaign.template_version)


def build_email(
    layout: EmailLayout, *, message_id: int, recipient: str, params: Mapping[str, str]
) -> OutgoingEmail:
    values = values_for(recipient, params)
    body = layout.body.render(values, fill=html_value)
    link = unsubscribe_url(message_id, recipient)
    return OutgoingEmail(
        to=recipient,
        subject=subject_for(layout, values),
        html=layout.html_shell.replace(BODY_MARK, body).replace(UNSUBSCRIBE_MARK, link),
        text=text_part(html_to_text(body), link),
        from_email=layout.from_email,
        reply_to=layout.reply_to,
        configuration_set=layout.configuration_set,
        headers={"List-Unsubscribe": f"<{link}>", **ONE_CLICK_HEADERS},
    )


# RFC 8058: mail clients may unsubscribe with one POST to the List-Unsubscribe link.
ONE_CLICK_HEADERS = {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def values_for(recipient: str, params: Mapping[str, str]) -> dict[str, str]:
    return {**params, "recipient": recipient}


def subject_for(layout: EmailLayout, values: Mapping[str, str]) -> str:
    return " ".join(layout.subject.render(values).split())


def text_part(body_text: str, link: str) -> str:
    """The plain-text part: the HTML body as text (campaigns.plain_text), then the unsubscribe link."""
    return f"{body_text}\n\n--\nUnsubscribe: {link}\n"
