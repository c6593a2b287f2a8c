from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from campaigns import services
from campaigns.models import Campaign
from campaigns.templating import TemplateError
from protected_email.models import ProtectedTemplate
from protected_email.services import check_email_keywords

pytestmark = pytest.mark.django_db


def test_email_body_keyword_other_than_recipient_is_refused_with_position() -> None:
    with pytest.raises(TemplateError) as caught:
        check_email_keywords(
            "Dear {{recipient}},\nyour {{result}} at {{protectedlink}}", part="body", needs_link=True
        )

    assert [p.message for p in caught.value.problems] == [
        'Keyword "{{result}}" at line 2, column 6: the body of a protected email may use only '
        "{{recipient}} and {{protectedlink}}. Put it in the protected message instead."
    ]


def test_email_body_without_link_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"must contain \{\{protectedlink\}\}"):
        check_email_keywords("Dear {{recipient}}", part="body", needs_link=True)


def test_protected_campaign_must_be_email(officer: Any) -> None:
    with pytest.raises(services.CampaignError, match="Only email campaigns"):
        services.create_campaign(owner=officer, name="x", channel="sms", protected=True)


def test_create_page_makes_a_protected_campaign(officer_client: Client) -> None:
    response = officer_client.post(
        "/campaigns/new/", {"name": "Results", "channel": "email", "protected": "on"}
    )

    campaign = Campaign.objects.get()
    assert campaign.protected
    assert response["Location"] == f"/campaigns/{campaign.pk}/template/"
    page = officer_client.get(f"/campaigns/{campaign.pk}/template/")
    assert "Protected message" in page.content.decode()
    assert 'data-testid="protected-badge"' in page.content.decode()


def test_template_page_shows_errors_under_each_field(officer_client: Client, officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="R", channel="email", protected=True)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/template/",
        {
            "subject": "Result for {{name}}",
            "body_format": "rich",
            "body": "<p>Hello</p>",
            "reply_to": "lab@agency.gov.sg",
            "message": "<p>{{ result</p>",
        },
    )

    text = response.content.decode()
    assert "Keyword &quot;{{name}}&quot; at line 1, column 12" in text
    assert "The email must contain {{protectedlink}}" in text
    assert "Unclosed" in text
    assert not ProtectedTemplate.objects.filter(campaign=campaign).exists()


def test_template_page_saves_both_templates(officer_client: Client, officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="R", channel="email", protected=True)

    response = officer_client.post(
        f"/campaigns/{campaign.pk}/template/",
        {
            "subject": "Your result",
            "body_format": "rich",
            "body": '<p><a href="{{protectedlink}}">Open your result</a></p>',
            "reply_to": "lab@agency.gov.sg",
            "message": "<p>Result: {{result}} <script>x()</script></p>",
        },
    )

    assert response.status_code == 302
    template = ProtectedTemplate.objects.get(campaign=campaign)
    assert template.body_html == "<p>Result: {{result}} </p>"
    assert template.keywords == ["result"]
    page = officer_client.get(f"/campaigns/{campaign.pk}/recipients/").content.decode()
    assert "<code>password</code>" in page
    assert "<code>result</code>" in page


def test_email_message_gets_the_editor_and_protected_message_stays_html(
    officer_client: Client, officer: Any
) -> None:
    """The protected message's allow-list holds tables and images the editor's schema would drop."""
    campaign = services.create_campaign(owner=officer, name="Results", channel="email", protected=True)

    page = officer_client.get(f"/campaigns/{campaign.pk}/template/").content.decode()

    textareas = {m[1]: m[0] for m in re.finditer(r'<textarea name="(\w+)"[^>]*>', page)}
    assert 'data-rich-editor=""' in textareas["body"]
    assert 'data-editor-label="Email message"' in textareas["body"]
    assert "data-rich-editor" not in textareas["message"]
    assert "js/rich-editor.js" in page
