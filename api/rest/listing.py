"""List query parameters, checked as strictly as Postman's: unknown or repeated ones are a 400."""

from __future__ import annotations

from django.http import HttpRequest
from pydantic import BaseModel

from api.errors import invalid
from api.schemas import ListQuery, validated


def query_parameters[M: BaseModel](request: HttpRequest, model: type[M]) -> M:
    """The query string as `model`; a parameter it does not name, or one given twice, is a 400."""
    known = {field.alias or name for name, field in model.model_fields.items()}
    data: dict[str, str] = {}
    for name, values in request.GET.lists():
        if name not in known:
            raise invalid(name, "is not allowed")
        if len(values) > 1:
            raise invalid(name, "must be a single value")
        data[name] = values[0]
    return validated(model, data)


def list_query(request: HttpRequest, *, statuses: tuple[str, ...], max_limit: int) -> ListQuery:
    query = query_parameters(request, ListQuery)
    if query.limit > max_limit:
        raise invalid("limit", f"input should be less than or equal to {max_limit}")
    if query.status is not None and query.status not in statuses:
        raise invalid("status", "must be one of " + ", ".join(statuses))
    return query
