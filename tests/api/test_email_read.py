from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import TransactionalEmail
from tests.api.conftest import EMAIL, ApiClient, send_json

pytestmark = pytest.mark.django_db

LIST = "/api/v1/transactional/email"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def send_at(client: ApiClient, moment: datetime, **fields: Any) -> int:
    with time_machine.travel(moment, tick=False):
        response = send_json(client, {**EMAIL, **fields})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.json()["data"]]


def test_get_email_answers_the_message(api_client: ApiClient) -> None:
    sent = send_json(api_client, {**EMAIL, "tag": "t1"}).json()

    response = api_client.get(f"{LIST}/{sent['id']}")

    assert response.status_code == 200
    assert response.json() == sent


def test_get_another_officers_email_is_404_like_a_missing_one(
    api_client: ApiClient, other_api_client: ApiClient
) -> None:
    theirs = send_json(other_api_client, EMAIL).json()["id"]

    response = api_client.get(f"{LIST}/{theirs}")
    missing = api_client.get(f"{LIST}/{theirs + 1000}")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Email not found."}
    assert missing.json() == response.json()


def test_get_email_by_another_key_of_the_same_officer_works(officer: Any, api_client: ApiClient) -> None:
    from api.services.keys import create_api_key

    sent = send_json(api_client, EMAIL).json()["id"]
    second = ApiClient(create_api_key(owner=officer, label="Second")[1])

    assert second.get(f"{LIST}/{sent}").status_code == 200


@pytest.mark.parametrize("value", ["abc", "0", "-3", "99999999999999999999999"])
def test_get_email_with_invalid_id_is_400(api_client: ApiClient, value: str) -> None:
    response = api_client.get(f"{LIST}/{value}")

    assert response.status_code == 400
    assert response.json()["code"] == "api_validation"
    assert response.json()["message"].startswith('"email_id" ')


def test_list_answers_postmans_envelope_newest_first_ten_by_default(api_client: ApiClient) -> None:
    sent = [send_at(api_client, START + timedelta(minutes=i)) for i in range(12)]

    response = api_client.get(LIST)

    assert response.status_code == 200
    assert response.json()["has_more"] is True
    assert ids(response) == sent[::-1][:10]
    assert response.json()["data"][0]["params"]["subject"] == "Your appointment"


def test_list_limit_and_offset_page_through_every_message(api_client: ApiClient) -> None:
    sent = [send_at(api_client, START + timedelta(minutes=i)) for i in range(5)]

    first = api_client.get(f"{LIST}?limit=2&offset=0")
    last = api_client.get(f"{LIST}?limit=2&offset=4")
    exact = api_client.get(f"{LIST}?limit=5")

    assert (ids(first), first.json()["has_more"]) == (sent[::-1][:2], True)
    assert (ids(last), last.json()["has_more"]) == ([sent[0]], False)
    assert exact.json()["has_more"] is False


def test_list_shows_only_the_officers_own_messages(
    api_client: ApiClient, other_api_client: ApiClient
) -> None:
    mine = send_json(api_client, EMAIL).json()["id"]
    send_json(other_api_client, EMAIL)

    assert ids(api_client.get(LIST)) == [mine]


def test_list_filters_by_status_case_insensitively(api_client: ApiClient) -> None:
    first = send_json(api_client, EMAIL).json()["id"]
    second = send_json(api_client, EMAIL).json()["id"]
    TransactionalEmail.objects.filter(pk=second).update(status="DELIVERED")

    assert ids(api_client.get(f"{LIST}?status=delivered")) == [second]
    assert ids(api_client.get(f"{LIST}?status=ACCEPTED")) == [first]
    assert ids(api_client.get(f"{LIST}?status=OPENED")) == []


def test_list_filters_by_tag(api_client: ApiClient) -> None:
    tagged = send_json(api_client, {**EMAIL, "tag": "otp"}).json()["id"]
    send_json(api_client, {**EMAIL, "tag": "receipts"})

    assert ids(api_client.get(f"{LIST}?tag=otp")) == [tagged]


def test_list_filters_by_created_at_bounds(api_client: ApiClient) -> None:
    a, b, c = (send_at(api_client, START + timedelta(hours=h)) for h in range(3))
    middle = (START + timedelta(hours=1)).isoformat()

    assert ids(api_client.get(LIST, {"created_at[gte]": middle})) == [c, b]
    assert ids(api_client.get(LIST, {"created_at[gt]": middle})) == [c]
    assert ids(api_client.get(LIST, {"created_at[lte]": middle})) == [b, a]
    assert ids(api_client.get(LIST, {"created_at[lt]": middle})) == [a]
    assert ids(
        api_client.get(LIST, {"created_at[gt]": START.isoformat(), "created_at[lt]": "2026-03-02T03:00:00Z"})
    ) == [b]


def test_list_sort_by_ascending_and_descending(api_client: ApiClient) -> None:
    sent = [send_at(api_client, START + timedelta(minutes=i)) for i in range(3)]

    assert ids(api_client.get(LIST, {"sort_by": "+created_at"})) == sent
    assert ids(api_client.get(f"{LIST}?sort_by=+created_at")) == sent  # an unencoded + arrives as a space
    assert ids(api_client.get(LIST, {"sort_by": "-created_at"})) == sent[::-1]
    assert ids(api_client.get(LIST, {"sort_by": "created_at"})) == sent[::-1]


def test_list_exclude_params_leaves_out_the_body(api_client: ApiClient) -> None:
    send_json(api_client, EMAIL)

    item = api_client.get(f"{LIST}?exclude_params=true").json()["data"][0]

    assert item["params"] is None
    assert item["recipient"] == "resident@example.com"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", '"limit" input should be greater than or equal to 1'),
        ("limit=1001", '"limit" input should be less than or equal to 1000'),
        ("limit=ten", '"limit" input should be a valid integer, unable to parse string as an integer'),
        ("offset=-1", '"offset" input should be greater than or equal to 0'),
        (
            "status=LOST",
            '"status" must be one of UNSENT, ACCEPTED, SENT, DELIVERED, BOUNCED, COMPLAINT, FAILED, OPENED',
        ),
        (
            "created_at[gte]=yesterday",
            '"created_at[gte]" must be an ISO 8601 date and time, such as 2026-03-01T00:00:00Z',
        ),
        # A number is not ISO 8601, though pydantic alone would take it for a Unix time.
        (
            "created_at[lte]=0.5",
            '"created_at[lte]" must be an ISO 8601 date and time, such as 2026-03-01T00:00:00Z',
        ),
        (
            "sort_by=name",
            '"sort_by" must be one of created_at, +created_at, -created_at, '
            "updated_at, +updated_at, -updated_at",
        ),
        (
            "exclude_params=maybe",
            '"exclude_params" input should be a valid boolean, unable to interpret input',
        ),
        ("created_at[foo]=2026-01-01", '"created_at[foo]" is not allowed'),
        ("page=2", '"page" is not allowed'),
        ("limit=1&limit=2", '"limit" must be a single value'),
    ],
)
def test_list_invalid_parameter_is_400_naming_it(api_client: ApiClient, query: str, message: str) -> None:
    response = api_client.get(f"{LIST}?{query}")

    assert (response.status_code, response.json()) == (400, {"code": "api_validation", "message": message})


def test_list_accepts_up_to_a_thousand_a_page(api_client: ApiClient) -> None:
    send_json(api_client, EMAIL)

    assert api_client.get(f"{LIST}?limit=1000").status_code == 200


def test_list_query_count_is_the_same_for_one_and_three_messages(api_client: ApiClient) -> None:
    send_json(api_client, EMAIL)
    with CaptureQueriesContext(connection) as one:
        api_client.get(LIST)
    send_json(api_client, EMAIL)
    send_json(api_client, EMAIL)
    with CaptureQueriesContext(connection) as three:
        response = api_client.get(LIST)

    assert len(response.json()["data"]) == 3
    assert len(three) == len(one)
