"""Settings → Webhooks: register endpoints (the secret is shown once), follow and replay deliveries."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from webhooks import events, selectors
from webhooks.forms import EndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    WebhookError,
    delete_endpoint,
    register_endpoint,
    replay_delivery,
    set_endpoint_active,
)


class OfficerRequest(HttpRequest):
    """A request behind login_required: the user is an officer, never anonymous."""

    user: User


def _endpoint(request: OfficerRequest, pk: int) -> WebhookEndpoint:
    endpoint = selectors.owned_endpoint(request.user, pk)
    if endpoint is None:
        raise Http404("No such endpoint.")
    return endpoint


def _delivery(request: OfficerRequest, pk: int, delivery_id: int) -> WebhookDelivery:
    delivery = selectors.owned_delivery(request.user, pk, delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


@login_required
@require_http_methods(["GET", "POST"])
def endpoints(request: OfficerRequest) -> HttpResponse:
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = register_endpoint(
                owner=request.user,
                url=form.cleaned_data["url"],
                campaign_milestones=form.cleaned_data["campaign_milestones"],
            )
        except WebhookError as error:
            form.add_error("url", str(error))
        else:
            response = render(
                request, "webhooks/endpoint_created.html", {"endpoint": endpoint, "secret": secret}
            )
            # The only time the secret exists in plain text: no cache may keep this page.
            response["Cache-Control"] = "no-store"
            return response
    context = {"form": form, "endpoints": selectors.endpoints_of(request.user)}
    return render(request, "webhooks/endpoints.html", context)


@login_required
@require_GET
def endpoint(request: OfficerRequest, pk: int) -> HttpResponse:
    found = _endpoint(request, pk)
    before = request.GET.get("before", "")
    deliveries, more = selectors.page_of_deliveries(found, before=int(before) if before.isdigit() else None)
    older_than = deliveries[-1].pk if more else None
    context = {"endpoint": found, "deliveries": deliveries, "older_than": older_than}
    return render(request, "webhooks/endpoint.html", context)


@login_required
@require_POST
def set_state(request: OfficerRequest, pk: int) -> HttpResponse:
    found = _endpoint(request, pk)
    active = request.POST.get("active") == "on"
    set_endpoint_active(endpoint=found, active=active)
    if active:
        messages.success(request, "The endpoint is on: new events are sent to it.")
    else:
        messages.success(request, "The endpoint is off: nothing more is sent to it until you turn it on.")
    return redirect("webhooks:endpoint", pk=found.pk)


@login_required
@require_POST
def delete(request: OfficerRequest, pk: int) -> HttpResponse:
    found = _endpoint(request, pk)
    delete_endpoint(endpoint=found)
    messages.success(request, f"Deleted the endpoint {found.url} and its delivery records.")
    return redirect("webhooks:endpoints")


@login_required
@require_GET
def delivery(request: OfficerRequest, pk: int, delivery_id: int) -> HttpResponse:
    found = _delivery(request, pk, delivery_id)
    payload = json.dumps(json.loads(events.body(found.event)), indent=2, ensure_ascii=False)
    context = {
        "endpoint": found.endpoint,
        "delivery": found,
        "payload": payload,
        "attempts": selectors.attempts_of(found),
    }
    return render(request, "webhooks/delivery.html", context)


@login_required
@require_POST
def replay(request: OfficerRequest, pk: int, delivery_id: int) -> HttpResponse:
    found = _delivery(request, pk, delivery_id)
    try:
        again = replay_delivery(delivery=found)
    except WebhookError as error:
        messages.error(request, str(error))
        return redirect("webhooks:delivery", pk=pk, delivery_id=found.pk)
    messages.success(request, "Replayed: the event is on its way again, with the same id.")
    return redirect("webhooks:delivery", pk=pk, delivery_id=again.pk)
