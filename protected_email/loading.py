"""Turning a loaded recipient file of encrypted rows into protected messages, inside the ingest.

The officer's browser uploads `recipient, id, payload, verifier, iterations` through the normal
upload path; the COPY puts each row's columns in `Message.params`. Here, in the same transaction,
every row is checked, its ciphertext moves to `ProtectedMessage` (the verifier only as a hash),
and the message keeps nothing but the link the email carries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, RecipientFile, RecipientFileStatus
from campaigns.recipient_files import RecipientFileError
from protected_email.models import (
    DEFAULT_RETENTION_DAYS,
    ProtectedMessage,
    ProtectedRetention,
    ProtectedTemplate,
)

# PBKDF2-SHA256 iterations the officer's browser uses for every password (salted with the
# message's random id): five times the 4,000 of the service Postman models. Bounded by the time an
# officer waits: headless Chromium on a 2-core machine derives about 1.9 million iterations a second
# per core, so 10,000 rows take about 55 s with two workers (`make bench`); 600,000 iterations would
# take half an hour. The server refuses files made with fewer.
ITERATIONS = 20_000
MIN_ITERATIONS = ITERATIONS
UPLOAD_COLUMNS = ["id", "iterations", "payload", "recipient", "verifier"]
# What the export shows as the recipient's columns once the file is loaded.
LOADED_COLUMNS = ["recipient", "protectedlink", "opened_at"]

# The first row, in file order, whose encrypted columns are not what the browser makes, and which.
_BAD_ROW_SQL = """
SELECT row_number, CASE WHEN NOT id_ok THEN 'id' WHEN NOT iterations_ok THEN 'iterations'
                        WHEN NOT verifier_ok THEN 'verifier' ELSE 'payload' END
FROM (
  SELECT row_number,
         coalesce(params->>'id', '') ~ %(uuid)s AS id_ok,
         coalesce(params->>'iterations', '') ~ '^[0-9]{1,9}$'
           AND (params->>'iterations')::int >= %(min_iterations)s AS iterations_ok,
         coalesce(params->>'verifier', '') ~ '^[A-Za-z0-9+/]{43}=$' AS verifier_ok,
         coalesce(params->>'payload', '') ~ %(base64)s AND length(params->>'payload') >= 40 AS payload_ok
  FROM campaigns_message WHERE campaign_id = %(campaign)s AND status = 'queued'
) AS checked
WHERE NOT (id_ok AND iterations_ok AND verifier_ok AND payload_ok)
ORDER BY row_number LIMIT 1
"""
_UUID4 = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_BASE64 = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_DUPLICATE_ID_SQL = """
SELECT min(row_number), max(row_number) FROM campaigns_message
WHERE campaign_id = %(campaign)s AND status = 'queued'
GROUP BY params->>'id' HAVING count(*) > 1 ORDER BY 1 LIMIT 1
"""
_MOVE_SQL = """
INSERT INTO protected_email_protectedmessage
    (id, campaign_id, message_id, payload, verifier_hash, iterations, created_at, expires_at)
SELECT (params->>'id')::uuid, campaign_id, id, params->>'payload',
       encode(sha256(decode(params->>'verifier', 'base64')), 'hex'),
       (params->>'iterations')::int, %(now)s, %(expires)s
FROM campaigns_message WHERE campaign_id = %(campaign)s AND status = 'queued'
"""
_LINK_SQL = """
UPDATE campaigns_message
SET params = CASE WHEN status = 'queued'
                  THEN jsonb_build_object('protectedlink', %(base)s || (params->>'id') || '/')
                  ELSE '{}'::jsonb END
WHERE campaign_id = %(campaign)s
"""


def retention_days(campaign: Campaign) -> int:
    agency_id = campaign.owner.agency_id
    if agency_id is None:
        return DEFAULT_RETENTION_DAYS
    found = ProtectedRetention.objects.filter(agency_id=agency_id).values_list("days", flat=True).first()
    return found or DEFAULT_RETENTION_DAYS


def protect_loaded_messages(campaign: Campaign) -> None:
    """Check the loaded rows and move their ciphertext out of the messages.

    Runs inside the ingest's transaction: a RecipientFileError fails the file and leaves the
    earlier list as it was.
    """
    params: dict[str, int | str | datetime] = {
        "campaign": campaign.pk,
        "min_iterations": MIN_ITERATIONS,
        "uuid": _UUID4,
        "base64": _BASE64,
    }
    with connection.cursor() as cursor:
        cursor.execute(_BAD_ROW_SQL, params)
        if bad := cursor.fetchone():
            raise RecipientFileError(
                f'Row {bad[0]}: the "{bad[1]}" column is not what Postman\'s encryption '
                "makes. Encrypt the file on the recipients page and upload what it produces."
            )
        cursor.execute(_DUPLICATE_ID_SQL, params)
        if twice := cursor.fetchone():
            raise RecipientFileError(
                f"Rows {twice[0]} and {twice[1]} have the same id. Encrypt the file again."
            )
        ProtectedMessage.objects.filter(campaign=campaign).delete()
        now = timezone.now()
        expires = now + timedelta(days=retention_days(campaign))
        cursor.execute(_MOVE_SQL, params | {"now": now, "expires": expires})
        cursor.execute(_LINK_SQL, params | {"base": f"{settings.SITE_URL.rstrip('/')}/p/"})
    latest = campaign.recipient_files.filter(status=RecipientFileStatus.READY).first()
    if latest is not None:
        RecipientFile.objects.filter(pk=latest.pk).update(headers=LOADED_COLUMNS)


def copy_protected_template(*, source: Campaign, copy: Campaign) -> None:
    """A duplicate gets both templates; never recipients or payloads."""
    template = ProtectedTemplate.objects.filter(campaign=source).first()
    if template is not None:
        ProtectedTemplate.objects.create(
            campaign=copy, body=template.body, body_html=template.body_html, keywords=template.keywords
        )
