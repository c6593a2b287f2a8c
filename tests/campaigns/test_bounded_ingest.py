"""Recipient files are read only by the ingest task, in a process bounded in time and memory."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campaigns import services
from campaigns.models import Message, RecipientFile
from campaigns.recipient_files.formulas import first_formula_without_value
from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def ingest(recipient_file: RecipientFile) -> RecipientFile:
    services.process_recipient_file(recipient_file=recipient_file, progress=lambda rows: None)
    recipient_file.refresh_from_db()
    return recipient_file


def many_rows(count: int) -> bytes:
    return b"recipient,name,code\n" + b"".join(b"p%d@example.com,P,%d\n" % (i, i) for i in range(count))


def test_upload_request_stores_the_file_and_the_task_reports_its_fault(
    officer: Any, officer_client: Client, tmp_path: Path
) -> None:
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    url = f"/campaigns/{campaign.pk}/recipients/"
    wrong = SimpleUploadedFile("list.csv", b"email,name,code\na@example.com,A,1\n")

    response = officer_client.post(url, {"file": wrong}, follow=True)

    recipient_file = campaign.recipient_files.first()
    assert recipient_file is not None
    assert (recipient_file.status, recipient_file.error, recipient_file.headers) == ("pending", "", [])
    assert "Uploaded list.csv. Checking every row now." in text_of(response)
    assert f'hx-get="{url}" hx-trigger="every 2s"' in response.content.decode()

    ingest(recipient_file)
    poll = officer_client.get(url, HTTP_HX_REQUEST="true")

    assert poll.status_code == 286  # the fragment stops polling
    assert 'The file needs a "recipient" column.' in text_of(poll)
    assert "Your earlier list of 2 rows is unchanged." in text_of(poll)


def test_ingest_past_its_time_limit_is_stopped_and_keeps_the_list(
    officer: Any, tmp_path: Path, settings: Any
) -> None:
    settings.INGEST_TIME_LIMIT_SECONDS = 1
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    # Several seconds of reading on any machine; the slower the machine, the surer the stop.
    upload = SimpleUploadedFile("list.csv", many_rows(400_000))

    recipient_file = ingest(services.upload_recipients(campaign=campaign, upload=upload))

    assert recipient_file.status == "failed"
    assert recipient_file.error == (
        "Reading the file took longer than 1 seconds, so it was stopped. Split it into smaller files."
    )
    assert sorted(Message.objects.filter(campaign=campaign).values_list("recipient", flat=True)) == [
        "person0@example.com",
        "person1@example.com",
    ]


MEMORY_ERROR = (
    "Reading the file needed more than 16 MB of memory, so it was stopped. "
    'Save it as "CSV UTF-8", or split it into smaller files, and upload again.'
)


def test_csv_ingest_past_its_memory_limit_is_stopped(officer: Any, tmp_path: Path, settings: Any) -> None:
    settings.INGEST_MEMORY_LIMIT_MB = 16
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    # Every distinct address is remembered to find duplicates: ~30 MB for these.
    upload = SimpleUploadedFile("list.csv", many_rows(200_000))

    recipient_file = ingest(services.upload_recipients(campaign=campaign, upload=upload))

    assert (recipient_file.status, recipient_file.error) == ("failed", MEMORY_ERROR)
    assert Message.objects.filter(campaign=campaign).count() == 2


def test_xlsx_ingest_past_its_memory_limit_is_stopped(officer: Any, tmp_path: Path, settings: Any) -> None:
    settings.INGEST_MEMORY_LIMIT_MB = 16
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Recipients")
    sheet.append(["recipient", "name", "code"])
    for i in range(100_000):
        sheet.append([f"p{i}@example.com", f"Person {i}", i])
    buffer = io.BytesIO()
    book.save(buffer)

    upload = SimpleUploadedFile("list.xlsx", buffer.getvalue())
    recipient_file = ingest(services.upload_recipients(campaign=campaign, upload=upload))

    assert (recipient_file.status, recipient_file.error) == ("failed", MEMORY_ERROR)
    assert Message.objects.filter(campaign=campaign).count() == 2


def crafted_workbook(junk_bytes: int) -> bytes:
    """A workbook whose text is the pattern that made the old formula regex quadratic."""
    junk = "".join(f"<c q{i % 97} " for i in range(junk_bytes // 8))
    cell = f'<c r="B2" t="inlineStr"><is><t><![CDATA[{junk}]]></t></is></c>'
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>recipient</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>code</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.com</t></is></c>{cell}</row>'
        "</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in minimal_workbook_parts().items():
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def minimal_workbook_parts() -> dict[str, str]:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    return {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}"><Relationship Id="r1" '
        f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Recipients" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
        f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }


def test_crafted_workbook_is_read_through_to_a_clear_message(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    upload = SimpleUploadedFile("list.xlsx", crafted_workbook(200_000))

    recipient_file = ingest(services.upload_recipients(campaign=campaign, upload=upload))

    assert recipient_file.error == 'Row 2, column "name" is longer than 10,000 characters.'


@pytest.mark.parametrize(
    ("xml", "cell"),
    [
        (b'<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f>1+1</f></c></row>', "B2"),
        (b'<row r="2"><c r="C7" s="1"><f>SUM(A1:A2)</f><v/></c></row>', "C7"),
        (b'<x:row r="2"><x:c r="D4" t="str"><x:f t="shared" si="0"/></x:c></x:row>', "D4"),
        (b'<row r="2"><c r="B2"><f>1+1</f><v>2</v></c><c r="B3"><f>""</f><v></v></c></row>', None),
        (b'<row r="2"><c r="B2" t="inlineStr"><is><t><![CDATA[<c <f> </c>]]></t></is></c></row>', None),
        (b"<c <f " * 50_000, None),
    ],
    ids=["no value", "empty v", "prefixed shared", "values", "text that looks like xml", "crafted"],
)
def test_formula_scan_finds_the_first_formula_without_a_value(xml: bytes, cell: str | None) -> None:
    assert first_formula_without_value(io.BytesIO(xml)) == cell


def test_formula_scan_sees_a_cell_cut_by_a_chunk_boundary() -> None:
    filler = b'<c r="A1"><v>1</v></c>' * 400_000  # 8.8 MB: the 8 MB chunk ends inside the cells
    xml = filler + b'<c r="ZZ9"><f>NOW()</f></c>'

    assert first_formula_without_value(io.BytesIO(xml)) == "ZZ9"
