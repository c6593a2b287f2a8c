"""JSON answers of the v1 API, errors included, in Postman's shapes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from api.errors import ApiError, invalid
from api.rest.auth import MISSING
from api.services.idempotency import HEADER, Response, run_idempotent

logger = logging.getLogger(__name__)


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status, encoder=DjangoJSONEncoder, safe=False)
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def respond_once(
    request: HttpRequest,
    *,
    fingerprint: str,
    handler: Callable[[], Response],
    headers: Callable[[Any], dict[str, str]] | None = None,
) -> JsonResponse:
    """Answer a write with `handler`, run at most once per Idempotency-Key and body; a repeat gets
    the first answer, marked Idempotent-Replayed. `headers` adds headers from the answer's body."""
    result = run_idempotent(
        api_key=request.auth,  # type: ignore[attr-defined]
        idempotency_key=request.headers.get(HEADER),
        fingerprint=fingerprint,
        handler=handler,
    )
    extra = headers(result.body) if headers else {}
    if result.replayed:
        extra["Idempotent-Replayed"] = "true"
    return respond(result.status, result.body, extra)


def _api_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, ApiError)
    return respond(exc.status, exc.body(), exc.headers)


def _unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
    return respond(401, {"code": "unauthenticated", "message": MISSING})


def _invalid_parameter(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, ValidationError)
    first = exc.errors[0] if exc.errors else {}
    name = str((first.get("loc") or ["parameter"])[-1])
    message = str(first.get("msg", "is invalid"))
    return _api_error(request, invalid(name, message[:1].lower() + message[1:]))


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, HttpError)
    return respond(exc.status_code, {"code": "api_error", "message": str(exc)})


def _not_found(request: HttpRequest, exc: Any) -> HttpResponse:
    return respond(404, {"code": "not_found", "message": "Not found."})


def _server_error(request: HttpRequest, exc: Any) -> HttpResponse:
    logger.exception("API request %s %s failed", request.method, request.path, exc_info=exc)
    return respond(500, {"code": "internal_server", "message": "Something went wrong on our side."})


def _method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ninja answers a method a path does not take with a plain-text 405: make it the API's JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
            return response
        allowed = response.get("Allow", "")
        message = (
            f"{request.method} is not allowed here; use {allowed}." if allowed else "Method not allowed."
        )
        return respond(405, {"code": "method_not_allowed", "message": message}, {"Allow": allowed})

    return wrapper


def json_errors_everywhere(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """The API's URL patterns with JSON for a wrong method, and a JSON 404 for any other path."""
    wrapped: list[URLPattern | URLResolver] = [
        URLPattern(p.pattern, _method_not_allowed(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    return [*wrapped, re_path(r"", lambda request: _not_found(request, Http404()))]


def install_error_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(Exception, _server_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(AuthenticationError, _unauthenticated)
    api.add_exception_handler(ValidationError, _invalid_parameter)
    api.add_exception_handler(ApiError, _api_error)
