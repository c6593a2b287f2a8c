"""The OpenAPI document: every operation documented with examples, and a schemathesis run that
sends generated requests (valid and invalid) to every endpoint and finds no 5xx, and every answer
with a documented status, content type and schema.

negative_data_rejection is left out: the generated "invalid" cases include ones whose only fault is
a missing Authorization header, which this test always adds, so they are rightly answered 200."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from pydantic import BaseModel
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import campaign_schemas, schemas
from api.models import ApiSettings
from api.schemas import EmailSendIn, SmsSendIn
from api.services.email import accept_email
from api.services.keys import create_api_key
from api.services.sms import accept_sms
from campaigns.models import RecipientFile
from tests.channels_sms.conftest import make_credential, make_sms_campaign, phones
from tests.factories import make_email_campaign, people
from webhooks.events import MILESTONES, campaign_data, message_data

CAMPAIGN = "/api/v1/campaigns/{campaign_id}"
TRANSACTIONAL_SENDS = {"/api/v1/transactional/email/send", "/api/v1/transactional/sms/send"}
OPERATIONS = {
    ("post", "/api/v1/transactional/email/send"),
    ("get", "/api/v1/transactional/email/{email_id}"),
    ("get", "/api/v1/transactional/email"),
    ("post", "/api/v1/transactional/sms/send"),
    ("get", "/api/v1/transactional/sms/{sms_id}"),
    ("get", "/api/v1/transactional/sms"),
    ("post", "/api/v1/campaigns"),
    ("get", "/api/v1/campaigns"),
    ("get", CAMPAIGN),
    ("delete", CAMPAIGN),
    ("put", f"{CAMPAIGN}/template"),
    ("post", f"{CAMPAIGN}/recipients"),
    ("get", f"{CAMPAIGN}/recipients/{{file_id}}"),
    ("get", f"{CAMPAIGN}/recipients/{{file_id}}/rejected"),
    ("post", f"{CAMPAIGN}/test"),
    ("post", f"{CAMPAIGN}/send"),
    ("post", f"{CAMPAIGN}/pause"),
    ("post", f"{CAMPAIGN}/resume"),
    ("post", f"{CAMPAIGN}/retry"),
    ("post", f"{CAMPAIGN}/cancel"),
    ("get", f"{CAMPAIGN}/export"),
}


def openapi_document() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_openapi_document_lists_every_endpoint_with_bearer_auth() -> None:
    document = openapi_document()

    found = {(method, path) for path, methods in document["paths"].items() for method in methods}
    assert found == OPERATIONS
    assert document["components"]["securitySchemes"] == {"ApiKeyAuth": {"type": "http", "scheme": "bearer"}}


def test_openapi_document_has_an_example_for_every_answer_and_request_body() -> None:
    document = openapi_document()

    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert operation["summary"], (method, path)
            for status, answer in operation["responses"].items():
                if status == "204":
                    assert "content" not in answer
                    continue
                (media,) = answer["content"].values()
                assert "example" in media or "examples" in media, (method, path, status)
            json_body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            assert not json_body or "example" in json_body or "examples" in json_body, (method, path)
            if path in TRANSACTIONAL_SENDS:
                content = operation["requestBody"]["content"]
                assert set(content) == {
                    "application/json",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                }
                assert "example" in content["application/json"], path
                assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


def test_webhook_calls_are_documented_as_webhooks_builds_them(officer: Any, tmp_path: Path) -> None:
    webhooks = openapi_document()["webhooks"]
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path)
    message = SimpleNamespace(
        pk=1, owner_id=officer.pk, status="SENT", error_code="", sent_at=None, delivered_at=None
    )
    built = {
        "messageStatusChanged": message_data(channel="email", message=message),
        "campaignMilestone": campaign_data(campaign),
    }

    assert set(webhooks) == set(built)
    for name, data in built.items():
        call = webhooks[name]["post"]
        body = call["requestBody"]["content"]["application/json"]
        jsonschema_rs.validate(body["schema"], body["example"])
        documented = set(body["schema"]["properties"]["data"]["properties"])
        assert set(body["example"]["data"]) == documented == set(data)
        assert [p["name"] for p in call["parameters"]] == [
            "Postman-Webhook-Id",
            "Postman-Webhook-Timestamp",
            "Postman-Webhook-Signature",
        ]
    milestone_types = webhooks["campaignMilestone"]["post"]["requestBody"]["content"]["application/json"]
    assert set(milestone_types["schema"]["properties"]["type"]["enum"]) == {
        f"campaign.{name}" for name in MILESTONES
    }


def test_every_model_has_a_component_of_its_own() -> None:
    components = openapi_document()["components"]["schemas"]
    models = [
        model
        for module in (schemas, campaign_schemas)
        for model in vars(module).values()
        if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == module.__name__
    ]

    names = [model.__name__ for model in models]
    assert len(names) == len(set(names))
    for model in models:
        if model.__name__ in components:
            documented = set(components[model.__name__]["properties"])
            assert documented == set(model.model_json_schema(by_alias=True)["properties"]), model


def test_send_email_documents_attachments_only_for_multipart() -> None:
    send = openapi_document()["paths"]["/api/v1/transactional/email/send"]["post"]["requestBody"]["content"]

    assert "attachments" in send["multipart/form-data"]["schema"]["properties"]
    assert "attachments" not in send["application/json"]["schema"]["properties"]
    assert send["application/json"]["schema"]["required"] == ["recipient", "subject", "body"]


def test_send_sms_too_large_is_413_as_documented(officer: Any) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_key(owner=officer, label='Big')[1]}")
    send = openapi_document()["paths"]["/api/v1/transactional/sms/send"]["post"]

    response = client.post(
        "/api/v1/transactional/sms/send",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(17 * 2**20),
    )

    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")
    assert "413" in send["responses"]


def test_docs_page_serves_swagger_ui_from_our_own_static_files() -> None:
    response = Client().get("/api/docs")

    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "/api/openapi.json" in page


@pytest.fixture(autouse=True)
def _requests_inside_the_test_transaction() -> Iterator[None]:
    """Generated requests run inside the test's transaction, as with Django's test client: the
    handler must not close the connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(officer: Any) -> dict[str, str]:
    # Generated requests come faster than a real client's 10 a second.
    ApiSettings.objects.update_or_create(user=officer, defaults={"rate_per_second": 100_000})
    return {"Authorization": f"Bearer {create_api_key(owner=officer, label='Schemathesis')[1]}"}


@pytest.fixture
def own_ids(officer: Any, fake_provider: Any, settings: Any, tmp_path: Path) -> dict[str, list[int]]:
    """Ids of the key owner's own rows: an email and an SMS campaign, each with a template and a
    loaded list, and one API email and SMS, so generated requests reach past the owner checks
    into the forms, services and answers. SMS goes to the fake Twilio, email to the dev inbox."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWILIO_BASE_URL = fake_provider.url
    fake_provider.configure(twilio_callbacks=False)
    credential = make_credential(officer)
    email = make_email_campaign(officer, people(3), tmp_path=tmp_path)
    sms = make_sms_campaign(officer, phones(3), tmp_path=tmp_path, credential=credential)
    key, _ = create_api_key(owner=officer, label="Fixtures")
    mail = EmailSendIn.model_validate({"recipient": "resident@example.com", "subject": "Hi", "body": "Hi"})
    text = SmsSendIn.model_validate({"recipient": "+6591234567", "body": "Hi", "label": credential.label})
    return {
        "campaign_id": [email.pk, sms.pk],
        "email_id": [accept_email(key=key, data=mail, files=[], enqueue=lambda _: None).pk],
        "sms_id": [accept_sms(key=key, data=text, enqueue=lambda _: None).pk],
    }


def aim_at_own_rows(case: Any, own: dict[str, list[int]]) -> None:
    """Half the generated ids become ids of the owner's own rows (a file id, its campaign's
    upload); the other half stay as generated, mostly answering 404."""
    parameters = case.path_parameters or {}
    for name, ids in own.items():
        generated = parameters.get(name)
        if isinstance(generated, int) and generated % 2 == 0:
            parameters[name] = ids[generated // 2 % len(ids)]
    campaign_id = parameters.get("campaign_id")
    if (
        isinstance(parameters.get("file_id"), int)
        and parameters["file_id"] % 2 == 0
        and isinstance(campaign_id, int)
    ):
        file = RecipientFile.objects.filter(campaign_id=campaign_id).first()
        parameters["file_id"] = file.pk if file else parameters["file_id"]


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@pytest.mark.django_db
def test_api_answers_generated_requests_as_documented(
    case: Any, bearer: dict[str, str], own_ids: dict[str, list[int]]
) -> None:
    aim_at_own_rows(case, own_ids)

    response = case.call(headers=bearer)

    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
