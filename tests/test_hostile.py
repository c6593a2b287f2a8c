"""Hostile requests: cross-site posts and template injection through the real pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from campaigns import services
from campaigns.models import Campaign
from channels_email.channel import first_email
from tests.factories import load_rows, make_email_campaign, people

pytestmark = pytest.mark.django_db


def test_cross_site_form_post_is_refused_and_changes_nothing(officer: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post("/campaigns/new/", {"name": "Forged", "channel": "email"})

    assert response.status_code == 403
    assert not Campaign.objects.filter(name="Forged").exists()


def test_cross_site_post_to_send_is_refused(officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post(f"/campaigns/{campaign.pk}/send/", {})

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == "draft"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("{{ settings.SECRET_KEY }}", 'Invalid keyword "{{ settings.SECRET_KEY }}" at line 1, column 1'),
        ("{% debug %}", 'Template tag "{% debug %}" at line 1, column 1'),
        ("{{#each}}", '"{{#each}}" at line 1, column 1: sections and other template logic are not supported'),
    ],
)
def test_template_injection_in_subject_is_refused_with_its_position(
    officer_client: Client, officer: Any, subject: str, expected: str
) -> None:
    campaign = services.create_campaign(owner=officer, name="Injection", channel="email")

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/template/",
        {
            "subject": subject,
            "body": "<p>Hi</p>",
            "body_format": "rich",
            "sender_name": "",
            "reply_to": "a@b.gov.sg",
        },
    )

    assert escape(expected) in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.subject == ""


def test_script_handlers_and_javascript_links_never_reach_an_email(officer: Any, tmp_path: Path) -> None:
    body = (
        '<p onclick="steal()">Hi {{name}}</p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">click</a><img src="https://x.gov.sg/a.png" onerror="alert(1)">'
        "<p>{{ form_link }}</p>"
    )
    campaign = make_email_campaign(officer, [], tmp_path=tmp_path, body=body)
    load_rows(
        campaign,
        [
            {
                "recipient": "a@example.com",
                "name": "<script>x()</script>",
                "code": "1",
                "form_link": "javascript:bad()",
            }
        ],
        tmp_path=tmp_path,
    )

    email = first_email(campaign)
    assert email is not None

    assert "<script" not in email.html
    assert "onclick" not in email.html and "onerror" not in email.html
    assert 'href="javascript:' not in email.html
    assert "<p>javascript:bad()</p>" in email.html  # the value shows as text, never as a link
    assert "&lt;script&gt;x()&lt;/script&gt;" in email.html
