from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Agency
from api.models import TransactionalAttachment, TransactionalEmail
from campaigns.models import Suppression
from channels_email.models import SenderAddress
from tests.api.conftest import EMAIL, ApiClient, send_json

pytestmark = pytest.mark.django_db

SEND = "/api/v1/transactional/email/send"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def error_of(response: Any) -> tuple[int, dict[str, str]]:
    return response.status_code, response.json()


def test_send_json_answers_201_with_the_accepted_message(officer: Any, api_client: ApiClient) -> None:
    response = send_json(
        api_client,
        {**EMAIL, "tag": "appointments", "classification": "FOR_INFO", "reply_to": "help@agency.gov.sg"},
    )

    assert response.status_code == 201
    body = response.json()
    email = TransactionalEmail.objects.get()
    assert body["id"] == email.pk
    assert body["recipient"] == "resident@example.com"
    assert body["from"] == "Agency via Postman <donotreply@postman.example.gov.sg>"
    assert body["status"] == "ACCEPTED"
    assert body["params"] == {
        "subject": "Your appointment",
        "body": "<p>Dear resident, see you on <b>3 March</b>.</p>",
        "from": "Agency via Postman <donotreply@postman.example.gov.sg>",
        "reply_to": "help@agency.gov.sg",
    }
    assert body["tag"] == "appointments"
    assert body["classification"] == "FOR_INFO"
    assert body["attachments_metadata"] is None
    assert body["cc"] == [] and body["bcc"] == []
    assert body["accepted_at"] and body["created_at"] and body["updated_at"]
    assert body["sent_at"] is None and body["delivered_at"] is None and body["opened_at"] is None
    assert email.owner == officer
    assert email.reply_to == "help@agency.gov.sg"


def test_send_form_urlencoded_is_accepted_like_json(api_client: ApiClient) -> None:
    response = api_client.post(
        SEND,
        "recipient=resident%40example.com&subject=Hi&body=%3Cp%3EHello%3C%2Fp%3E&cc=a%40example.com&cc=b%40example.com",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201
    assert response.json()["cc"] == ["a@example.com", "b@example.com"]
    assert TransactionalEmail.objects.get().body == "<p>Hello</p>"


def test_send_multipart_accepts_cc_as_a_stringified_json_array(api_client: ApiClient) -> None:
    response = api_client.post(
        SEND, {**EMAIL, "cc": json.dumps(["a@example.com"]), "bcc[]": ["b@example.com"]}
    )

    assert response.status_code == 201
    assert (response.json()["cc"], response.json()["bcc"]) == (["a@example.com"], ["b@example.com"])


def test_send_lowercases_the_recipient(api_client: ApiClient) -> None:
    response = send_json(api_client, {**EMAIL, "recipient": "  Resident@Example.COM "})

    assert response.json()["recipient"] == "resident@example.com"


def test_send_sanitises_the_body_like_campaign_templates(api_client: ApiClient) -> None:
    body = '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">link</a></p>'

    response = send_json(api_client, {**EMAIL, "body": body})

    assert response.status_code == 201
    assert TransactionalEmail.objects.get().body == '<p>Hi <a rel="noopener noreferrer">link</a></p>'


def test_send_body_of_only_invalid_tags_is_400_invalid_template(api_client: ApiClient) -> None:
    response = send_json(api_client, {**EMAIL, "body": "<script>alert(1)</script>"})

    assert error_of(response) == (
        400,
        {
            "code": "invalid_template",
            "message": "Message is invalid as the subject or body only contains invalid HTML tags.",
        },
    )


def test_send_body_of_exactly_one_mib_is_accepted(api_client: ApiClient) -> None:
    body = "<p>" + "a" * (1024 * 1024 - 7) + "</p>"

    assert send_json(api_client, {**EMAIL, "body": body}).status_code == 201


def test_send_body_over_one_mib_is_400_naming_body(api_client: ApiClient) -> None:
    body = "<p>" + "a" * (1024 * 1024 - 6) + "</p>"

    response = send_json(api_client, {**EMAIL, "body": body})

    assert error_of(response) == (
        400,
        {"code": "api_validation", "message": '"body" must be at most 1048576 bytes (1 MiB)'},
    )
    assert not TransactionalEmail.objects.exists()


def test_send_request_over_sixteen_mib_is_413(api_client: ApiClient) -> None:
    response = send_json(api_client, {**EMAIL, "body": "a" * (16 * 1024 * 1024)})

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recipient": None}, '"recipient" is required'),
        ({"recipient": "not-an-address"}, '"recipient" must be a valid email address'),
        ({"recipient": "josé@example.com"}, '"recipient" must be a valid email address'),
        ({"recipient": 42}, '"recipient" input should be a valid string'),
        ({"subject": None}, '"subject" is required'),
        ({"subject": "  \n "}, '"subject" is not allowed to be empty'),
        ({"subject": "x" * 999}, '"subject" must be at most 998 characters'),
        ({"body": None}, '"body" is required'),
        ({"body": "   "}, '"body" is not allowed to be empty'),
        ({"reply_to": "nobody"}, '"reply_to" must be a valid email address'),
        ({"cc": ["fine@example.com", "broken"]}, '"cc" must be a valid email address'),
        ({"cc": "a@example.com"}, '"cc" input should be a valid list'),
        ({"bcc": ["x@example.com", "X@example.com"]}, '"bcc" contains x@example.com twice'),
        ({"tag": "t" * 256}, '"tag" string should have at most 255 characters'),
        (
            {"classification": "SECRET"},
            "\"classification\" input should be 'URGENT', 'FOR_ACTION' or 'FOR_INFO'",
        ),
        (
            {"disable_tracking": "perhaps"},
            '"disable_tracking" input should be a valid boolean, unable to interpret input',
        ),
        ({"priority": "high"}, '"priority" is not allowed'),
    ],
)
def test_send_invalid_field_is_400_naming_the_field(
    api_client: ApiClient, change: dict[str, Any], message: str
) -> None:
    payload = {**EMAIL, **change}
    payload = {name: value for name, value in payload.items() if value is not None}

    response = send_json(api_client, payload)

    assert error_of(response) == (400, {"code": "api_validation", "message": message})
    assert not TransactionalEmail.objects.exists()


def test_send_classification_is_case_insensitive(api_client: ApiClient) -> None:
    assert send_json(api_client, {**EMAIL, "classification": "urgent"}).json()["classification"] == "URGENT"


def test_send_disable_tracking_is_stored(api_client: ApiClient) -> None:
    send_json(api_client, {**EMAIL, "disable_tracking": True})

    assert TransactionalEmail.objects.get().disable_tracking is True


def test_send_cc_and_bcc_of_49_together_are_accepted(api_client: ApiClient) -> None:
    cc = [f"cc{i}@example.com" for i in range(25)]
    bcc = [f"bcc{i}@example.com" for i in range(24)]

    response = send_json(api_client, {**EMAIL, "cc": cc, "bcc": bcc})

    assert response.status_code == 201
    assert (response.json()["cc"], response.json()["bcc"]) == (cc, bcc)


def test_send_cc_and_bcc_over_49_together_is_400_too_many_recipients(api_client: ApiClient) -> None:
    cc = [f"cc{i}@example.com" for i in range(25)]
    bcc = [f"bcc{i}@example.com" for i in range(25)]

    response = send_json(api_client, {**EMAIL, "cc": cc, "bcc": bcc})

    assert error_of(response) == (
        400,
        {"code": "too_many_recipients", "message": "cc and bcc can have at most 49 addresses together."},
    )


def test_send_from_default_address_with_another_name_reads_via_postman(api_client: ApiClient) -> None:
    response = send_json(api_client, {**EMAIL, "from": "Clinic A <donotreply@postman.example.gov.sg>"})

    assert response.json()["from"] == "Clinic A via Postman <donotreply@postman.example.gov.sg>"


def test_send_without_from_uses_the_agency_name_on_the_default_address(
    officer: Any, api_client: ApiClient
) -> None:
    officer.agency = Agency.objects.create(name="Health Promotion Board")
    officer.save()

    response = send_json(api_client, EMAIL)

    assert response.json()["from"] == "Health Promotion Board via Postman <donotreply@postman.example.gov.sg>"


def test_send_from_the_officers_own_address_is_accepted(api_client: ApiClient) -> None:
    response = send_json(api_client, {**EMAIL, "from": "Dr Tan <Officer@Agency.gov.sg>"})

    assert response.json()["from"] == "Dr Tan <officer@agency.gov.sg>"


def test_send_from_any_other_address_is_400_invalid_from_address(api_client: ApiClient) -> None:
    response = send_json(api_client, {**EMAIL, "from": "someone.else@other.gov.sg"})

    assert error_of(response) == (
        400,
        {
            "code": "invalid_from_address",
            "message": "Invalid 'from' email address: use donotreply@postman.example.gov.sg or an "
            "address verified for you under From addresses.",
        },
    )


@pytest.mark.parametrize(
    ("sender", "found"),
    [
        ("Clinic A\r\nBcc: everyone@example.com <donotreply@postman.example.gov.sg>", "U+000D"),
        ("Clinic\x07A <donotreply@postman.example.gov.sg>", "U+0007"),
        ("Dr Tan\n <officer@agency.gov.sg>", "U+000A"),
    ],
)
def test_send_from_with_a_control_character_is_400_naming_from(
    sender: str, found: str, api_client: ApiClient
) -> None:
    response = send_json(api_client, {**EMAIL, "from": sender})

    assert error_of(response) == (
        400,
        {
            "code": "api_validation",
            "message": f'"from" must not contain line breaks or control characters (found {found})',
        },
    )
    assert not TransactionalEmail.objects.exists()


@pytest.mark.parametrize("reply_to", ["help@agency.gov.sg\r\nBcc: x@example.com", '"a\x1bb"@agency.gov.sg'])
def test_send_reply_to_with_a_control_character_is_400_naming_reply_to(
    reply_to: str, api_client: ApiClient
) -> None:
    response = send_json(api_client, {**EMAIL, "reply_to": reply_to})

    assert error_of(response) == (
        400,
        {"code": "api_validation", "message": '"reply_to" must be a valid email address'},
    )
    assert not TransactionalEmail.objects.exists()


@pytest.mark.parametrize("reason", ["bounced", "complained"])
def test_send_to_a_bounced_or_complained_recipient_is_400_with_the_reason(
    api_client: ApiClient, reason: str
) -> None:
    Suppression.objects.create(channel="email", recipient="resident@example.com", reason=reason)

    response = send_json(api_client, EMAIL)

    label = {"bounced": "Hard bounce", "complained": "Complaint"}[reason]
    assert error_of(response) == (
        400,
        {"code": "invalid_recipient", "message": f"Recipient email is suppressed: {label}."},
    )
    assert not TransactionalEmail.objects.exists()


def test_send_to_a_recipient_unsubscribed_from_this_agency_is_400(
    officer: Any, api_client: ApiClient
) -> None:
    officer.agency = Agency.objects.create(name="HPB")
    officer.save()
    Suppression.objects.create(
        channel="email", recipient="resident@example.com", reason="unsubscribed", agency=officer.agency
    )

    response = send_json(api_client, EMAIL)

    assert response.json() == {
        "code": "invalid_recipient",
        "message": "Recipient email is suppressed: Unsubscribed.",
    }


def test_send_to_a_recipient_unsubscribed_from_another_agency_is_accepted(api_client: ApiClient) -> None:
    Suppression.objects.create(
        channel="email",
        recipient="resident@example.com",
        reason="unsubscribed",
        agency=Agency.objects.create(name="Other"),
    )

    assert send_json(api_client, EMAIL).status_code == 201


def test_send_drops_suppressed_cc_and_bcc_addresses(api_client: ApiClient) -> None:
    Suppression.objects.create(channel="email", recipient="gone@example.com", reason="bounced")

    response = send_json(
        api_client, {**EMAIL, "cc": ["gone@example.com", "ok@example.com"], "bcc": ["gone@example.com"]}
    )

    assert (response.json()["cc"], response.json()["bcc"]) == (["ok@example.com"], [])


def test_send_malformed_json_is_400_malformed(api_client: ApiClient) -> None:
    response = api_client.post(SEND, '{"recipient": ', content_type="application/json")

    assert error_of(response) == (400, {"code": "malformed", "message": "The body is not valid JSON."})


def test_send_json_array_body_is_400_malformed(api_client: ApiClient) -> None:
    response = api_client.post(SEND, "[1, 2]", content_type="application/json")

    assert error_of(response) == (400, {"code": "malformed", "message": "The body must be a JSON object."})


def test_send_other_content_type_is_400_malformed(api_client: ApiClient) -> None:
    response = api_client.post(SEND, "recipient: x", content_type="text/plain")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed"


def test_send_repeated_single_value_form_field_is_400(api_client: ApiClient) -> None:
    response = api_client.post(SEND, {**EMAIL, "subject": ["One", "Two"]})

    assert error_of(response) == (
        400,
        {"code": "api_validation", "message": '"subject" must be a single value'},
    )


# Attachments


def own(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "from": "officer@agency.gov.sg"}


def test_send_multipart_attachments_are_stored_until_sent_and_described(api_client: ApiClient) -> None:
    response = api_client.post(
        SEND,
        own(
            {
                **EMAIL,
                "attachments": [
                    upload("letter.pdf", PDF),
                    upload("photo.png", PNG),
                    upload("form.docx", DOCX),
                ],
            }
        ),
    )

    assert response.status_code == 201
    metadata = response.json()["attachments_metadata"]
    assert [(m["fileName"], m["fileSize"]) for m in metadata] == [
        ("letter.pdf", len(PDF)),
        ("photo.png", len(PNG)),
        ("form.docx", len(DOCX)),
    ]
    assert all(len(m["hash"]) == 64 for m in metadata)
    stored = list(TransactionalAttachment.objects.order_by("position"))
    assert [(a.name, a.content_type) for a in stored] == [
        ("letter.pdf", "application/pdf"),
        ("photo.png", "image/png"),
        ("form.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]
    with default_storage.open(str(stored[0].file.name), "rb") as handle:
        assert handle.read() == PDF


def test_send_csv_text_attachment_is_accepted(api_client: ApiClient) -> None:
    response = api_client.post(
        SEND, own({**EMAIL, "attachments": upload("list.csv", b"name,date\nTan,3 March\n")})
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "setup.exe",
            b"MZ\x90\x00" + b"\x00" * 60,
            'Attachment "setup.exe" is a Windows program, which cannot be attached.',
        ),
        (
            "letter.pdf",
            b"MZ\x90\x00" + b"\x00" * 60,
            'Attachment "letter.pdf" is a Windows program, which cannot be attached.',
        ),
        ("letter.exe", PDF, 'Attachment "letter.exe" is a PDF; its name must end in .pdf.'),
        (
            "files.zip",
            zip_bytes({"a.txt": b"hi"}),
            'Attachment "files.zip" is a zip archive, which cannot be attached.',
        ),
        (
            "macro.docx",
            zip_bytes(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "word/document.xml": b"<w/>",
                    "word/vbaProject.bin": b"x",
                }
            ),
            'Attachment "macro.docx" contains macros, which cannot be attached.',
        ),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n", 'Attachment "run.sh" is a script, which cannot be attached.'),
        (
            "page.html",
            b"<html><body>hi</body></html>",
            'Attachment "page.html" is a text file; its name must end in .csv, .ics, .txt.',
        ),
    ],
)
def test_send_attachment_of_a_refused_type_is_400_attachment_format(
    api_client: ApiClient, name: str, content: bytes, message: str
) -> None:
    response = api_client.post(SEND, own({**EMAIL, "attachments": upload(name, content, "application/pdf")}))

    assert error_of(response) == (400, {"code": "attachment_format", "message": message})
    assert not TransactionalEmail.objects.exists()
    assert not TransactionalAttachment.objects.exists()


def test_send_attachments_over_ten_mb_in_all_is_413(api_client: ApiClient) -> None:
    half = PDF + b"0" * (5 * 1024 * 1024)
    response = api_client.post(
        SEND, own({**EMAIL, "attachments": [upload("a.pdf", half), upload("b.pdf", half)]})
    )

    assert error_of(response) == (
        413,
        {"code": "attachment_limit", "message": "Attachments can be at most 10485760 bytes in all."},
    )
    assert not TransactionalEmail.objects.exists()


def test_send_attachments_from_the_default_sender_is_403(api_client: ApiClient) -> None:
    response = api_client.post(SEND, {**EMAIL, "attachments": upload("letter.pdf", PDF)})

    assert error_of(response) == (
        403,
        {"code": "unauthorized", "message": "Attachments can only be sent with your own address as 'from'."},
    )


def test_send_attachments_in_json_is_400_attachment_format(api_client: ApiClient) -> None:
    response = send_json(api_client, own({**EMAIL, "attachments": [{"name": "a.pdf", "data": "JVBERi0="}]}))

    assert error_of(response) == (
        400,
        {
            "code": "attachment_format",
            "message": "Attachments can only be sent as multipart/form-data files.",
        },
    )


def test_send_file_under_another_field_name_is_400(api_client: ApiClient) -> None:
    response = api_client.post(SEND, own({**EMAIL, "file": upload("letter.pdf", PDF)}))

    assert error_of(response) == (400, {"code": "api_validation", "message": '"file" is not allowed'})


def test_send_from_own_address_not_verified_in_ses_is_400(officer: Any, api_client: ApiClient) -> None:
    SenderAddress.objects.filter(owner=officer).update(verified=False)

    response = send_json(api_client, {**EMAIL, "from": "officer@agency.gov.sg"})

    assert error_of(response)[1]["code"] == "invalid_from_address"


def test_send_from_an_agency_address_granted_to_the_officers_agency_is_accepted(
    officer: Any, api_client: ApiClient
) -> None:
    officer.agency = Agency.objects.create(name="Ministry of Health")
    officer.save()
    SenderAddress.objects.create(address="notices@moh.gov.sg", agency=officer.agency, verified=True)

    response = send_json(api_client, {**EMAIL, "from": "MOH Notices <notices@moh.gov.sg>"})

    assert response.json()["from"] == "MOH Notices <notices@moh.gov.sg>"
