"""API keys: create (the key is shown once), list, revoke."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from api import selectors
from api.forms import ApiKeyForm
from api.services import sms as sms_services
from api.services.keys import ApiKeyError, create_api_key, revoke_api_key
from campaigns.views.access import OfficerRequest
from channels_sms.callbacks import answer_callback


@login_required
@require_http_methods(["GET", "POST"])
def keys(request: OfficerRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            key, plain = create_api_key(
                owner=request.user, label=form.cleaned_data["label"], months=form.cleaned_data["months"]
            )
        except ApiKeyError as error:
            form.add_error(None, str(error))
        else:
            response = render(request, "api/key_created.html", {"key": key, "plain": plain})
            # The only time the key exists in plain text: no cache may keep this page.
            response["Cache-Control"] = "no-store"
            return response
    context = {"form": form, "keys": selectors.keys_of(request.user), "now": timezone.now()}
    return render(request, "api/keys.html", context)


@login_required
@require_POST
def revoke(request: OfficerRequest, pk: int) -> HttpResponse:
    key = selectors.owned_key(request.user, pk)
    if key is None:
        raise Http404("No such key.")
    revoke_api_key(key=key)
    messages.success(request, f"Revoked “{key.label}” ({key.masked}). Requests with it are now refused.")
    return redirect("api:keys")


@csrf_exempt  # Twilio posts here; X-Twilio-Signature is the check
@require_POST
def sms_status_callback(request: HttpRequest, sms_id: int, token: str) -> HttpResponse:
    return answer_callback(
        request, functools.partial(sms_services.accept_status_callback, sms_id=sms_id, token=token)
    )
