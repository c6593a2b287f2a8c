"""Every URL pattern, walked as the owner, as another officer and anonymously: never a 5xx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import make_email_campaign, people

pytestmark = pytest.mark.django_db

# Outside our code: Django's admin internals and static/media serving are walked only at their roots.
SKIP_PREFIXES = ("admin/", "static/", "media/", "__debug__/", "api/docs")


def patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def fill(route: str, ids: dict[str, Any]) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    route = re.sub(r"<int:(\w+)>", lambda m: str(ids.get(m.group(1), 1)), route)
    route = re.sub(r"<(?:str|slug|uuid|path):(\w+)>", lambda m: str(ids.get(m.group(1), "x")), route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(ids.get(m.group(1), "x")), route)
    return "/" + route


def urls(ids: dict[str, Any]) -> list[str]:
    found = [fill(route, ids) for route in patterns()]
    return sorted({url for url in found if not url.lstrip("/").startswith(SKIP_PREFIXES) and "(" not in url})


def test_every_url_answers_without_server_error(officer: Any, other_officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(3), tmp_path=tmp_path)
    message = campaign.messages.first()
    ids = {"pk": campaign.pk, "campaign_id": campaign.pk, "message_id": message.pk if message else 1}
    owner, other, anonymous = (
        Client(raise_request_exception=False),
        Client(raise_request_exception=False),
        Client(raise_request_exception=False),
    )
    owner.force_login(officer)
    other.force_login(other_officer)
    walked = urls(ids)

    failures = []
    for url in walked:
        for name, client in [("owner", owner), ("other", other), ("anonymous", anonymous)]:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {url} as {name}: {response.status_code}")

    assert len(walked) > 20
    assert failures == [], "\n".join(failures)


def test_other_officers_campaign_urls_are_all_404(officer: Any, other_officer: Any, tmp_path: Path) -> None:
    campaign = make_email_campaign(officer, people(2), tmp_path=tmp_path)
    other = Client()
    other.force_login(other_officer)

    campaign_urls = [url for url in urls({"pk": campaign.pk}) if url.startswith(f"/campaigns/{campaign.pk}/")]

    assert len(campaign_urls) >= 10
    assert {url: other.get(url).status_code for url in campaign_urls} == {url: 404 for url in campaign_urls}
