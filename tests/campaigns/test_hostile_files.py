"""Hostile and broken recipient files through the real upload path: a clear message, no rows."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from openpyxl import Workbook

from campaigns import services
from campaigns.models import Message, RecipientFileStatus
from tests.factories import load_rows, make_email_campaign, people

pytestmark = pytest.mark.django_db

HEADER = b"recipient,name,code\n"
ROW = b"a@example.com,A,1\n"


def xlsx_bytes(rows: list[list[Any]], extra_sheet: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("Other").append(["ignored"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100

REFUSED = {
    "latin-1": (HEADER + "é@example.com,Zoë,1\n".encode("latin-1"), "is not UTF-8 text"),
    "utf-16": ("recipient,name,code\r\na@example.com,A,1\r\n".encode("utf-16"), "UTF-16"),
    "ragged": (HEADER + b"a@example.com,A\n", "Row 2 has 2 cells but the header has 3."),
    "no header": (ROW, "holds data"),
    "duplicate headers": (
        b"recipient,name,name,code\n" + b"a@example.com,A,B,1\n",
        'The column "name" appears more than once',
    ),
    "empty": (b"", "The file is empty."),
    "header only": (HEADER, "The file has a header row but no recipients."),
    "image named csv": (PNG, "This is not a CSV or Excel file."),
    "nul bytes": (HEADER + b"a@example.com,A\0B,1\n", "NUL byte"),
    "semicolons": (b"recipient;name;code\na@example.com;A;1\n", "separated by semicolons"),
    "1 MB cell": (HEADER + b"a@example.com," + b"x" * 1_000_000 + b",1\n", "longer than 10,000 characters"),
    "zip bomb named xlsx": (zip_bomb(), "cannot be read safely"),
    "corrupt xlsx": (b"PK\x03\x04" + b"garbage" * 100, "The Excel file is damaged"),
    "pdf": (b"%PDF-1.7\n" + b"\0" * 200, "This is not a CSV or Excel file."),
    "missing keyword column": (b"recipient,name\na@example.com,A\n", 'The file is missing the column "code"'),
    "no recipient column": (b"email,name,code\na@example.com,A,1\n", 'The file needs a "recipient" column.'),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_file_is_refused_clearly_and_leaves_the_list(case: str, officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    content, message = REFUSED[case]

    upload = SimpleUploadedFile("recipients.csv" if "xlsx" not in case else "r.xlsx", content)
    recipient_file = services.upload_recipients(campaign=campaign, upload=upload)
    if recipient_file.status != RecipientFileStatus.FAILED:
        services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    recipient_file.refresh_from_db()

    assert recipient_file.status == RecipientFileStatus.FAILED
    assert message in recipient_file.error
    assert sorted(Message.objects.filter(campaign=campaign).values_list("recipient", flat=True)) == [
        "person0@example.com",
        "person1@example.com",
    ]
    assert (
        load_rows(campaign, people(1), tmp_path=tmp_path).status == RecipientFileStatus.READY
    )  # still usable


def test_file_over_a_million_rows_is_refused(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    path = tmp_path / "big.csv"
    with path.open("wb") as out:
        out.write(HEADER)
        out.writelines(f"p{i}@example.com,P,1\n".encode() for i in range(1_000_001))
    upload = TemporaryUploadedFile("big.csv", "text/csv", path.stat().st_size, None)
    upload.write(path.read_bytes())
    upload.seek(0)

    recipient_file = services.upload_recipients(campaign=campaign, upload=upload)
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    recipient_file.refresh_from_db()

    assert recipient_file.error == "The file has more than 1,000,000 recipients."
    assert not Message.objects.filter(campaign=campaign).exists()


def test_file_over_200_mb_is_refused_before_it_is_stored(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    upload = TemporaryUploadedFile("huge.csv", "text/csv", 201 * 1024 * 1024, None)

    with pytest.raises(services.CampaignError, match="larger than 200 MB"):
        services.upload_recipients(campaign=campaign, upload=upload)
    assert not campaign.recipient_files.exists()


ACCEPTED = {
    "utf-8 with BOM and CRLF": (
        "\ufeffrecipient,name,code\r\na@example.com,Ann,1\r\n".encode(),
        {"name": "Ann"},
    ),
    "quoted newline": (HEADER + b'a@example.com,"Line one\nLine two",1\n', {"name": "Line one\nLine two"}),
    "headers with spaces, capitals, zero-width": (
        " Recipient ,\u200bNAME,Code\na@example.com,Ann,1\n".encode(),
        {"name": "Ann"},
    ),
    "right-to-left and emoji": (
        "recipient,name,code\na@example.com,مرحبا 👋,1\n".encode(),
        {"name": "مرحبا 👋"},
    ),
    "formula-looking values kept as text": (
        b'recipient,name,code\na@example.com,"=HYPERLINK(""http://x"",""y"")",+cmd\n',
        {"name": '=HYPERLINK("http://x","y")', "code": "+cmd"},
    ),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_awkward_but_valid_file_is_read_exactly(case: str, officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    content, expected = ACCEPTED[case]

    recipient_file = services.upload_recipients(
        campaign=campaign, upload=SimpleUploadedFile("r.csv", content)
    )
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)

    message = Message.objects.get(campaign=campaign)
    assert message.recipient == "a@example.com"
    assert {key: message.params[key] for key in expected} == expected


def test_workbook_with_several_sheets_uses_the_first_and_says_so(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    content = xlsx_bytes(
        [["recipient", "name", "code"], ["a@example.com", "Ann", 91234567]], extra_sheet=True
    )

    recipient_file = services.upload_recipients(
        campaign=campaign, upload=SimpleUploadedFile("r.xlsx", content)
    )
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    recipient_file.refresh_from_db()

    assert recipient_file.notes == ['The workbook has 2 sheets; only the first, "Sheet", was read.']
    assert Message.objects.get(campaign=campaign).params["code"] == "91234567"
