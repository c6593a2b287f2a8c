"""Every page an officer or a recipient sees, at 1280 px and 390 px, with campaigns in every state:
each is checked by axe (the conftest does that on every load) and scrolls sideways at neither width.

With SCREENSHOTS_DIR set (`scripts/screenshots.py` sets it) each page is also saved as a PNG there,
`<name>.png` and `<name>-phone.png`, for a person to look at.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from accounts.models import Agency
from campaigns import control, engine, services, tasks
from campaigns.models import Campaign, CampaignStatus
from channels_email import unsubscribe as links
from channels_sms.services import save_sms_template
from tests.e2e.conftest import read_code
from tests.factories import load_rows, make_email_campaign, make_officer, people

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OFFICER = "officer@health.gov.sg"
WIDTHS = {"": 1280, "-phone": 390}
# On a laptop no table hides columns behind its own sideways scroll.
TABLE_OVERFLOW = """Math.max(0, ...[...document.querySelectorAll(".table-responsive")]
  .map((box) => box.scrollWidth - box.clientWidth))"""


@pytest.fixture(autouse=True)
def _factories_ingest_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The factories read the file themselves; no worker loads it a second time."""
    monkeypatch.setattr(tasks.ingest_recipient_file, "delay", lambda *args: None)


def with_rejected_rows(count: int) -> list[dict[str, str]]:
    rows = people(count)
    rows[1]["recipient"] = "not-an-email"
    rows[3]["recipient"] = rows[2]["recipient"]
    return rows


def send_all(campaign: Campaign) -> None:
    """Send the whole campaign to the dev inbox, as a worker would."""
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    while engine.run_for(campaign.pk, seconds=10, sleep=lambda s: None):
        pass


def sample_campaigns(tmp_path: Path) -> dict[str, str]:
    """One campaign in each state and channel; the page addresses to walk, by name."""
    agency = Agency.objects.create(name="Ministry of Health")
    officer = make_officer(OFFICER, agency=agency, is_staff=True, is_superuser=True)
    draft = make_email_campaign(
        officer, with_rejected_rows(8), tmp_path=tmp_path, name="Clinic reminders, March"
    )
    sent = make_email_campaign(officer, with_rejected_rows(12), tmp_path=tmp_path, name="Vaccination notices")
    services.launch_campaign(campaign=sent, by=officer, send_rate=10)
    send_all(sent)
    sending = make_email_campaign(officer, people(20), tmp_path=tmp_path, name="Flu season advisory")
    services.launch_campaign(campaign=sending, by=officer, send_rate=10)
    paused = make_email_campaign(officer, people(20), tmp_path=tmp_path, name="Dengue cluster alert")
    services.launch_campaign(campaign=paused, by=officer, send_rate=10)
    control.pause_campaign(campaign=paused, by=officer)
    scheduled = make_email_campaign(officer, people(5), tmp_path=tmp_path, name="Screening invitations")
    control.schedule_campaign(campaign=scheduled, by=officer, at=timezone.now() + timedelta(days=2))
    sms = services.create_campaign(owner=officer, name="Appointment SMS", channel="sms")
    save_sms_template(campaign=sms, body="Hi {{name}}, your appointment is on {{date}}.")
    load_rows(sms, [{"recipient": "9123 4567", "name": "Tan", "date": "3 Mar"}], tmp_path=tmp_path)
    telegram = services.create_campaign(owner=officer, name="Telegram reminders", channel="telegram")
    protected = services.create_campaign(owner=officer, name="Test results", channel="email", protected=True)
    message = sent.messages.order_by("id").first()
    assert message is not None
    return {
        "dashboard": "/",
        "create": "/campaigns/new/",
        "email-message": f"/campaigns/{draft.pk}/template/",
        "email-recipients": f"/campaigns/{draft.pk}/recipients/",
        "email-test": f"/campaigns/{draft.pk}/test/",
        "email-send": f"/campaigns/{draft.pk}/send/",
        "sms-message": f"/campaigns/{sms.pk}/template/",
        "sms-recipients": f"/campaigns/{sms.pk}/recipients/",
        "sms-test": f"/campaigns/{sms.pk}/test/",
        "sms-send": f"/campaigns/{sms.pk}/send/",
        "telegram-message": f"/campaigns/{telegram.pk}/template/",
        "protected-message": f"/campaigns/{protected.pk}/template/",
        "rename": f"/campaigns/{draft.pk}/rename/",
        "scheduled": f"/campaigns/{scheduled.pk}/",
        "reschedule": f"/campaigns/{scheduled.pk}/schedule/",
        "sending": f"/campaigns/{sending.pk}/",
        "paused": f"/campaigns/{paused.pk}/",
        "sent": f"/campaigns/{sent.pk}/",
        "audit-trail": f"/campaigns/{sent.pk}/audit/",
        "api-keys": "/settings/api-keys/",
        "from-addresses": "/settings/from-addresses/",
        "sms-settings": "/settings/sms/",
        "telegram-settings": "/settings/telegram/",
        "webhooks": "/settings/webhooks/",
        "admin": "/admin/",
        "unsubscribe": links.unsubscribe_url(message.pk, message.recipient).removeprefix(
            "http://127.0.0.1:8000"
        ),
    }


def look(page: Page, name: str, shots: Path | None) -> dict[str, int]:
    """Each width in turn: the overflow, if any, and a full-page screenshot when asked for."""
    overflow = {}
    for suffix, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        page.wait_for_timeout(150)
        if extra := int(page.evaluate("document.documentElement.scrollWidth - innerWidth")):
            overflow[f"{name}{suffix}"] = extra
        if width > 400 and (extra := int(page.evaluate(TABLE_OVERFLOW))):
            overflow[f"{name}{suffix} table"] = extra
        if shots:
            page.screenshot(path=str(shots / f"{name}{suffix}.png"), full_page=True)
    return overflow


def test_every_page_is_accessible_and_fits_a_phone(page: Page, site: str, tmp_path: Path) -> None:
    shots = Path(os.environ["SCREENSHOTS_DIR"]) if os.environ.get("SCREENSHOTS_DIR") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    pages = sample_campaigns(tmp_path)
    overflow: dict[str, int] = {}

    page.goto(f"{site}/accounts/login/code/")
    overflow |= look(page, "login", shots)
    page.get_by_label("Email").fill(OFFICER)
    page.get_by_role("button", name="Email me a code").click()
    page.wait_for_url("**/accounts/login/code/confirm/")
    overflow |= look(page, "login-code", shots)
    page.get_by_label("Code").fill(read_code(OFFICER))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/")
    for name, path in pages.items():
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        overflow |= look(page, name, shots)

    assert overflow == {}
