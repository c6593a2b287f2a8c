"""An API message is claimed, sent with no transaction open, then recorded."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone

from api.models import TransactionalEmail
from api.services.delivery import CLAIM_FOR
from api.services.email import deliver_email
from tests.api.conftest import EMAIL, ApiClient, send_json

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.django_db(transaction=True)
def test_the_row_is_not_locked_while_ses_answers(api_client: ApiClient, ses_provider: Any) -> None:
    ses_provider.configure(latency_ms=1500)
    sent = send_json(api_client, EMAIL).json()["id"]
    outcome: list[Any] = []

    def deliver() -> None:
        try:
            outcome.append(deliver_email(email_id=sent))
        finally:
            connections.close_all()

    worker = threading.Thread(target=deliver)
    worker.start()
    try:
        deadline = timezone.now() + timedelta(seconds=10)
        while not TransactionalEmail.objects.filter(pk=sent, claimed_until__isnull=False).exists():
            assert timezone.now() < deadline, "the email was never claimed"
        with connection.cursor() as cursor:
            # While SES is still answering, another transaction can lock the row at once.
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM api_transactionalemail WHERE id = %s FOR UPDATE NOWAIT", [sent])
            assert cursor.fetchone() == (sent,)
            cursor.execute("ROLLBACK")
        assert not ses_provider.messages("email"), "the check ran after SES answered: raise the latency"
    finally:
        worker.join()

    row = TransactionalEmail.objects.get(pk=sent)
    assert outcome[0].done
    assert (row.status, row.claimed_until) == ("SENT", None)


@pytest.mark.django_db
def test_a_task_delivered_twice_leaves_a_claimed_email_alone(
    api_client: ApiClient, ses_provider: Any
) -> None:
    sent = send_json(api_client, EMAIL).json()["id"]
    TransactionalEmail.objects.filter(pk=sent).update(claimed_until=timezone.now() + CLAIM_FOR)

    outcome = deliver_email(email_id=sent)

    assert outcome.done
    assert ses_provider.messages("email") == []
    assert TransactionalEmail.objects.get(pk=sent).status == "ACCEPTED"


@pytest.mark.django_db
def test_a_lapsed_claim_is_sent_again(api_client: ApiClient, ses_provider: Any) -> None:
    sent = send_json(api_client, EMAIL).json()["id"]
    TransactionalEmail.objects.filter(pk=sent).update(claimed_until=timezone.now() - timedelta(seconds=1))

    deliver_email(email_id=sent)

    assert len(ses_provider.messages("email")) == 1
    assert TransactionalEmail.objects.get(pk=sent).status == "SENT"


@pytest.mark.django_db
def test_an_email_the_library_cannot_build_fails_with_its_reason(
    api_client: ApiClient, ses_provider: Any
) -> None:
    with_file = {**EMAIL, "from": "officer@agency.gov.sg", "attachments": SimpleUploadedFile("a.pdf", PDF)}
    sent = api_client.post("/api/v1/transactional/email/send", with_file).json()["id"]
    # A reply-to stored before today's checks existed, which the email library refuses when it
    # builds the MIME message that carries the file.
    TransactionalEmail.objects.filter(pk=sent).update(reply_to="bad\naddress@example.com")

    outcome = deliver_email(email_id=sent)

    row = TransactionalEmail.objects.get(pk=sent)
    assert outcome.done
    assert (row.status, row.error_code) == ("FAILED", "InvalidMessage")
    assert ses_provider.messages("email") == []
