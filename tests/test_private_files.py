"""No uploaded file is served by its path; logos are images we drew; personal files are private."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.logos import draw_logo
from accounts.models import Agency, User
from accounts.services import set_agency_logo
from api.models import TransactionalAttachment
from api.services.keys import create_api_key
from campaigns import services
from campaigns.models import RecipientFile
from channels_email.models import SenderAddress
from channels_email.rendering import build_layout
from tests.api.conftest import EMAIL, ApiClient
from tests.api.test_email_send import PDF, own
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db

RANDOM_NAME = re.compile(r"[0-9a-f]{32}")
CSV = b"recipient,name,code\nalice@example.com,Alice,A1\nnot-an-address,Bob,B2\n"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def without_paths(settings: Any) -> None:
    """Storage that has no local path at all, like S3: code using .path fails on it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def png(width: int, height: int, colour: tuple[int, int, int] = (20, 60, 140)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def staff_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("admin@agency.gov.sg", is_staff=True, is_superuser=True))
    return client


def send_with_attachment(officer: Any, name: str) -> None:
    client = ApiClient(create_api_key(owner=officer, label="Appointments")[1])
    SenderAddress.objects.get_or_create(address=officer.email, owner=officer, verified=True)
    payload = own({**EMAIL, "attachments": SimpleUploadedFile(name, PDF)})
    assert client.post("/api/v1/transactional/email/send", payload).status_code == 201


def pending_upload(officer: Any, tmp_path: Path) -> RecipientFile:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    return services.upload_recipients(campaign=campaign, upload=SimpleUploadedFile("tan's list.html", CSV))


def test_no_media_url_serves_a_stored_file_even_by_traversal(officer: Any, tmp_path: Path) -> None:
    recipient_file = pending_upload(officer, tmp_path)
    agency = set_agency_logo(
        agency=Agency.objects.create(name="Health"), png=draw_logo(io.BytesIO(png(9, 9)), 80)
    )
    send_with_attachment(officer, "a.pdf")
    attachment = TransactionalAttachment.objects.get()
    stored = [str(recipient_file.file.name), str(agency.logo.name), str(attachment.file.name)]
    assert all(default_storage.exists(name) for name in stored)
    anonymous = Client()

    urls = [f"/media/{name}" for name in stored] + [
        f"/media/agency-logos/..%2f{recipient_file.file.name!s}",
        f"/media/agency-logos/..%2f..%2fmedia/{recipient_file.file.name!s}",
        f"/media/agency-logos/..%2f{attachment.file.name!s}",
    ]
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 404, url
        assert b"alice@example.com" not in response.content
        assert PDF not in response.content


def test_uploads_are_stored_under_random_names_never_the_senders(officer: Any, tmp_path: Path) -> None:
    recipient_file = pending_upload(officer, tmp_path)
    send_with_attachment(officer, "Tan Ah Kow medical.pdf")

    folder, _, name = str(recipient_file.file.name).partition("/")
    assert (folder, bool(RANDOM_NAME.fullmatch(name))) == ("recipient-files", True)
    assert recipient_file.original_name == "tan's list.html"
    folder, _, name = str(TransactionalAttachment.objects.get().file.name).partition("/")
    assert (folder, bool(RANDOM_NAME.fullmatch(name))) == ("transactional-attachments", True)


def test_recipient_file_is_read_through_storage_and_deleted_once_loaded(
    officer: Any, officer_client: Client, tmp_path: Path, without_paths: None
) -> None:
    recipient_file = pending_upload(officer, tmp_path)
    name = str(recipient_file.file.name)
    assert default_storage.exists(name)

    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    recipient_file.refresh_from_db()

    assert (recipient_file.status, recipient_file.valid, recipient_file.invalid) == ("ready", 1, 1)
    assert not default_storage.exists(name)
    assert str(recipient_file.file.name) == ""
    # The rejected rows come from the loaded rows, not from the deleted file.
    rejected = officer_client.get(f"/campaigns/{recipient_file.campaign_id}/rejected.csv")
    content = b"".join(rejected.streaming_content)  # type: ignore[attr-defined]
    assert content.decode("utf-8-sig").splitlines() == [
        "row,recipient,reason",
        "3,not-an-address,Not a valid email address: An email address must have an @-sign.",
    ]


def test_refused_recipient_file_is_deleted(officer: Any, tmp_path: Path, without_paths: None) -> None:
    campaign = make_email_campaign(officer, people(1), tmp_path=tmp_path)
    recipient_file = services.upload_recipients(
        campaign=campaign, upload=SimpleUploadedFile("list.csv", b"email,name,code\na@example.com,A,1\n")
    )
    name = str(recipient_file.file.name)

    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    recipient_file.refresh_from_db()

    assert (recipient_file.status, recipient_file.error) == ("failed", 'The file needs a "recipient" column.')
    assert not default_storage.exists(name)


def test_another_officers_list_and_rejected_rows_are_404(
    officer: Any, other_officer: Any, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    other = Client()
    other.force_login(other_officer)

    for page in ("recipients/", "rejected.csv", "export.csv", "preview/"):
        assert other.get(f"/campaigns/{campaign.pk}/{page}").status_code == 404


# Agency logos


def test_logo_is_served_by_agency_with_our_type_and_nosniff(officer: Any) -> None:
    agency = set_agency_logo(
        agency=Agency.objects.create(name="Health"), png=draw_logo(io.BytesIO(png(40, 20)), 200)
    )

    response = Client().get(f"/agencies/{agency.pk}/logo.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="logo.png"'
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert Image.open(io.BytesIO(content)).size == (40, 20)
    assert Client().get(f"/agencies/{agency.pk + 1}/logo.png").status_code == 404
    assert Client().get(f"/agencies/{Agency.objects.create(name='No logo').pk}/logo.png").status_code == 404


def test_emails_link_the_logo_view(officer: Any, tmp_path: Path) -> None:
    agency = set_agency_logo(
        agency=Agency.objects.create(name="Health"), png=draw_logo(io.BytesIO(png(9, 9)), 80)
    )
    User.objects.filter(pk=officer.pk).update(agency=agency)
    campaign = make_email_campaign(User.objects.get(pk=officer.pk), people(1), tmp_path=tmp_path)

    shell = build_layout(campaign).html_shell

    version = Path(str(agency.logo.name)).stem[:12]
    assert f'src="http://127.0.0.1:8000/agencies/{agency.pk}/logo.png?v={version}"' in shell


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.png", b"<html><script>fetch('/api/keys/new/', {method: 'POST'})</script></html>"),
        ("logo.js", b"fetch('/api/keys/new/', {method: 'POST'})"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ],
    ids=["html", "javascript", "svg"],
)
def test_admin_refuses_a_logo_that_is_not_an_image(name: str, content: bytes) -> None:
    response = staff_client().post(
        "/admin/accounts/agency/add/", {"name": "Health", "logo_upload": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 200
    assert "The logo must be a PNG, JPEG, GIF or WebP image." in response.content.decode()
    assert not Agency.objects.exists()


def test_admin_logo_is_redrawn_so_no_uploaded_byte_is_served() -> None:
    # A GIF that is also a script: what follows the image data would survive a plain copy.
    gif = io.BytesIO()
    Image.new("P", (1200, 300), 1).save(gif, "GIF")
    polyglot = gif.getvalue() + b"/*<script>alert(document.cookie)</script>*/"

    response = staff_client().post(
        "/admin/accounts/agency/add/",
        {"name": "Health", "logo_upload": SimpleUploadedFile("logo.gif", polyglot)},
    )

    assert response.status_code == 302
    agency = Agency.objects.get()
    with agency.logo.open("rb") as handle:
        stored = handle.read()
    assert stored.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<script>" not in stored
    assert Image.open(io.BytesIO(stored)).size == (600, 150)  # fitted into 600 by 200
    assert agency.logo_content_type == "image/png"
    assert RANDOM_NAME.fullmatch(Path(str(agency.logo.name)).stem)


def test_admin_replacing_a_logo_deletes_the_old_file(django_capture_on_commit_callbacks: Any) -> None:
    agency = set_agency_logo(
        agency=Agency.objects.create(name="Health"), png=draw_logo(io.BytesIO(png(9, 9)), 80)
    )
    old = str(agency.logo.name)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client().post(
            f"/admin/accounts/agency/{agency.pk}/change/",
            {"name": "Health", "logo_upload": SimpleUploadedFile("new.png", png(30, 30, (200, 0, 0)))},
        )

    assert response.status_code == 302
    agency.refresh_from_db()
    assert str(agency.logo.name) != old
    assert not default_storage.exists(old)
    assert default_storage.exists(str(agency.logo.name))
