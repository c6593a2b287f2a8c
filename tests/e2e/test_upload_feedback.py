"""The upload's outcome reaches the officer: its message on the next page, its errors by the file field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, Route, expect

from campaigns.models import RecipientFile
from tests.e2e.conftest import log_in
from tests.factories import make_email_campaign, make_officer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _file(name: str, content: bytes) -> FilePayload:
    return {"name": name, "mimeType": "text/csv", "buffer": content}


def _draft(tmp_path: Path) -> Any:
    return make_email_campaign(make_officer("sender@agency.gov.sg"), [], tmp_path=tmp_path)


@pytest.mark.parametrize("width", [1280, 390])
def test_upload_message_is_shown_after_the_script_uploads(
    page: Page, site: str, tmp_path: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    campaign = _draft(tmp_path)
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/recipients/")
    page.get_by_label("Recipient file").set_input_files(
        files=[_file("people.csv", b"recipient,name,code\na@example.com,A,1\n")]
    )
    page.get_by_role("button", name="Upload").click()

    expect(
        page.get_by_role("alert").filter(has_text="Uploaded people.csv. Checking every row now.")
    ).to_be_visible()
    assert RecipientFile.objects.filter(campaign=campaign, original_name="people.csv").count() == 1


def test_refused_file_is_explained_beside_the_file_field(page: Page, site: str, tmp_path: Path) -> None:
    campaign = _draft(tmp_path)
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/recipients/")
    page.get_by_label("Recipient file").set_input_files(files=[_file("empty.csv", b"")])
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_test_id("upload-error")).to_have_text("The submitted file is empty.")
    expect(page.get_by_label("Recipient file")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Upload")).to_be_enabled()
    assert page.url.endswith(f"/campaigns/{campaign.pk}/recipients/")
    assert not RecipientFile.objects.filter(campaign=campaign).exists()


def test_server_error_during_upload_is_shown_not_lost(page: Page, site: str, tmp_path: Path) -> None:
    campaign = _draft(tmp_path)
    log_in(page, site, "sender@agency.gov.sg")
    page.goto(f"{site}/campaigns/{campaign.pk}/recipients/")

    def broken_server(route: Route) -> None:  # the outside world failing: a proxy's error page
        if route.request.method == "POST":
            route.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>")
        else:
            route.continue_()

    page.route("**/recipients/", broken_server)
    page.get_by_label("Recipient file").set_input_files(
        files=[_file("people.csv", b"recipient,name,code\na@example.com,A,1\n")]
    )
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_test_id("upload-error")).to_contain_text(
        "The server could not take the file (error 502)."
    )
