from __future__ import annotations

import pytest

from api.attachments import AttachmentRefused, check_attachment
from tests.api.test_email_send import DOCX, PDF, PNG, zip_bytes

XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
PPTX = zip_bytes({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})
ODT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})


@pytest.mark.parametrize(
    ("name", "content", "mimetype"),
    [
        ("a.pdf", PDF, "application/pdf"),
        ("a.PNG", PNG, "image/png"),
        ("a.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        ("a.gif", b"GIF89a" + b"\x00" * 16, "image/gif"),
        ("a.rtf", b"{\\rtf1 hello}", "application/rtf"),
        ("a.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("a.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("a.pptx", PPTX, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("a.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("a.txt", "Grüße, 你好\n".encode(), "text/plain"),
        ("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/plain"),
    ],
)
def test_allowed_file_is_recognised_by_its_content(name: str, content: bytes, mimetype: str) -> None:
    assert check_attachment(name, content).mimetype == mimetype


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.pdf", b"", "is empty."),
        ("   ", PDF, "has no file name."),
        (".pdf", PDF, "is a PDF; its name must end in .pdf."),
        ("broken.docx", b"PK\x03\x04garbage", "looks like a damaged zip file."),
        ("data.bin", bytes(range(256)), "is not a type that can be attached."),
        ("a.elf", b"\x7fELF\x02\x01", "is a Linux program, which cannot be attached."),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16, "is an old-style Office file"),
        ("a.docx.exe", DOCX, "is a Word document; its name must end in .docx."),
        ("sheet.xlsx", DOCX, "is a Word document; its name must end in .docx."),
    ],
)
def test_refused_file_says_why(name: str, content: bytes, reason: str) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        check_attachment(name, content)

    assert reason in str(refused.value)
    assert str(refused.value).startswith(f'Attachment "{name}" ')
