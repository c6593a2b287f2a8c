"""The SendBulkEmail request we sign ourselves is the request boto3's sesv2 client sends.

Both are sent to a loopback server that records them: same method, path and JSON body, and a
SigV4 signature for the `ses` service in the same region under the same access key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from channels_email.bulk import BulkClient

REQUEST: dict[str, Any] = {
    "FromEmailAddress": "Clinic via Postman <donotreply@postman.example.gov.sg>",
    "ReplyToAddresses": ["clinic@agency.gov.sg"],
    "DefaultContent": {
        "Template": {
            "TemplateContent": {
                "Subject": "{{{subject}}}",
                "Html": "<p>{{{k0}}} \u2013 你好</p>",
                "Text": "{{{text}}}",
            },
            "TemplateData": "{}",
            "Headers": [{"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}],
        }
    },
    "BulkEmailEntries": [
        {
            "Destination": {"ToAddresses": ["a@example.com"]},
            "ReplacementEmailContent": {
                "ReplacementTemplate": {
                    "ReplacementTemplateData": '{"subject":"Hi","k0":"Ann \\"A\\" <b>","text":"x"}'
                }
            },
            "ReplacementHeaders": [{"Name": "List-Unsubscribe", "Value": "<https://example.com/u/1>"}],
        }
    ],
    "ConfigurationSetName": "postman",
}


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []
    answer: tuple[int, dict[str, str], bytes] = (200, {}, b'{"BulkEmailEntryResults": []}')

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.seen.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
        status, headers, payload = Recorder.answer
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEPOSTMAN")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    Recorder.seen = []
    Recorder.answer = (200, {}, b'{"BulkEmailEntryResults": []}')
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_our_signed_post_is_the_request_boto3_sends(recorder: str) -> None:
    boto3.session.Session().client(
        "sesv2", region_name="ap-southeast-1", endpoint_url=recorder
    ).send_bulk_email(**REQUEST)
    BulkClient("ap-southeast-1", recorder).send_bulk_email(REQUEST)

    theirs, ours = Recorder.seen
    assert ours["path"] == theirs["path"] == "/v2/email/outbound-bulk-emails"
    assert ours["body"] == theirs["body"] == REQUEST
    for seen in (theirs, ours):
        authorization = seen["headers"]["Authorization"]
        assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEPOSTMAN/"), authorization
        assert "/ap-southeast-1/ses/aws4_request" in authorization
        assert "x-amz-date" in {name.lower() for name in seen["headers"]}


def test_an_error_answer_reads_as_boto3_reads_it(recorder: str) -> None:
    Recorder.answer = (
        400,
        {"x-amzn-ErrorType": "MessageRejected:http://internal"},
        b'{"message": "Email address is not verified."}',
    )

    with pytest.raises(ClientError) as ours:
        BulkClient("ap-southeast-1", recorder).send_bulk_email(REQUEST)
    with pytest.raises(ClientError) as theirs:
        boto3.session.Session().client(
            "sesv2", region_name="ap-southeast-1", endpoint_url=recorder
        ).send_bulk_email(**REQUEST)

    for caught in (ours, theirs):
        assert caught.value.response["Error"]["Code"] == "MessageRejected"
        assert caught.value.response["Error"]["Message"] == "Email address is not verified."
