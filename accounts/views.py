from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis import Redis
from redis.exceptions import RedisError

from accounts.logos import LOGO_CONTENT_TYPE
from accounts.models import Agency


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _redis_ok() -> bool:
    try:
        return bool(Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except RedisError:
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    body = {name: "ok" if ok else "down" for name, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)


@require_safe
def agency_logo(request: HttpRequest, pk: int) -> FileResponse:
    """An agency's logo, public because every email shows it: looked up by agency, never by path.

    The type is our own record of the PNG we drew, never the stored name or the bytes.
    """
    agency = get_object_or_404(Agency, pk=pk)
    if not agency.logo or agency.logo_content_type != LOGO_CONTENT_TYPE:
        raise Http404("No logo.")
    try:
        handle = agency.logo.open("rb")
    except FileNotFoundError:
        raise Http404("No logo.") from None
    response = FileResponse(handle, content_type=agency.logo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="logo.png"'
    response["Cache-Control"] = "public, max-age=86400"
    return response
