"""The v1 API (django-ninja): Postman-compatible transactional endpoints and the campaign API,
OpenAPI at /api/openapi.json and interactive docs at /api/docs."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from api.rest import campaign_recipients, campaign_sending, campaigns, docs, email, sms, webhook_docs
from api.rest.auth import ApiKeyAuth
from api.rest.responses import install_error_handlers, json_errors_everywhere


class PostmanApi(NinjaAPI):
    """The generated document, plus the calls Postman makes to officers' webhook endpoints; every
    answer under /api/, a wrong method or an unknown path included, is the API's JSON."""

    @property
    def urls(self) -> tuple[list[URLPattern | URLResolver], str, str]:
        patterns, app_name, namespace = super().urls
        return json_errors_everywhere(patterns), app_name, namespace

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(**kwargs)
        schema["info"]["description"] = docs.description()
        schema["webhooks"] = webhook_docs.WEBHOOKS
        return schema


api = PostmanApi(
    title="Postman API",
    version="v1",
    description=docs.description(),
    urls_namespace="api_v1",
    auth=ApiKeyAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/v1/transactional/email", email.router)
api.add_router("/v1/transactional/sms", sms.router)
api.add_router("/v1/campaigns", campaigns.router)
api.add_router("/v1/campaigns", campaign_recipients.router)
api.add_router("/v1/campaigns", campaign_sending.router)
