"""Bearer API keys, as Postman v1 takes them, and each key's request rate."""

from __future__ import annotations

import math

from django.http import HttpRequest
from ninja.security import HttpBearer

from api.errors import ApiError
from api.models import ApiKey
from api.services.keys import KeyRefused, authenticate_key, rate_per_second
from common import ratelimit

MISSING = 'Missing API key: send it as the header "Authorization: Bearer <key>".'


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`. Every authenticated request counts against its key's and its
    owner's one-second windows, so a refused request (429) is never processed."""

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        # ninja's own version logs a header with another scheme in DEBUG: it may hold a secret.
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        return self.authenticate(request, token) if scheme.lower() == "bearer" else None

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        try:
            key = authenticate_key(plain=token.strip())
        except KeyRefused as refused:
            raise ApiError(401, "unauthenticated", refused.reason) from None
        _meter(key)
        return key


def _meter(key: ApiKey) -> None:
    # Per key and per officer: more keys must not buy an officer more requests.
    rate = rate_per_second(key)
    buckets = (ratelimit.Bucket(f"api:{key.pk}", rate), ratelimit.Bucket(f"api-owner:{key.owner_id}", rate))
    grant = ratelimit.acquire(buckets, 1, settled=True)
    if grant.count == 0:
        raise ApiError(
            429,
            "rate_limit",
            "Too many requests. Please try again later.",
            headers={"Retry-After": str(max(1, math.ceil(grant.wait_seconds)))},
        )
