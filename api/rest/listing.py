"""List query parameters, checked as strictly as Postman's: unknown or repeated ones are a 400."""

from __future__ import annotations

from django.http import HttpRequest

from api.errors import invalid
from api.schemas import ListQuery, validated

PARAMETERS = frozenset(field.alias or name for name, field in ListQuery.model_fields.items())


def list_query(request: HttpRequest, *, statuses: tuple[str, ...], max_limit: int) -> ListQuery:
    data: dict[str, str] = {}
    for name, values in request.GET.lists():
        if name not in PARAMETERS:
            raise invalid(name, "is not allowed")
        if len(values) > 1:
            raise invalid(name, "must be a single value")
        data[name] = values[0]
    query = validated(ListQuery, data)
    if query.limit > max_limit:
        raise invalid("limit", f"input should be less than or equal to {max_limit}")
    if query.status is not None and query.status not in statuses:
        raise invalid("status", "must be one of " + ", ".join(statuses))
    return query
