from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accounts.views import healthz
from api.rest import api as rest_api

# Postman has no passwords: allauth's password, sign-up and reset pages lead to the code login.
_to_code_login = RedirectView.as_view(pattern_name="account_request_login_code", query_string=True)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", _to_code_login, name="account_login"),
    path("accounts/signup/", _to_code_login, name="account_signup"),
    re_path(r"^accounts/password/", _to_code_login),
    re_path(r"^accounts/(?:email|reauthenticate)/", _to_code_login),
    path("accounts/", include("allauth.account.urls")),
    path("api/", rest_api.urls),
    path("", include("api.urls")),
    path("", include("webhooks.urls")),
    path("", include("channels_email.urls")),
    path("", include("channels_sms.urls")),
    path("", include("channels_telegram.urls")),
    path("", include("audit.urls")),
    path("", include("protected_email.urls")),
    path("", include("campaigns.urls")),
    # No uploaded file is served by its path: agency logos through accounts' view, recipient
    # files and attachments never (they are read only by tasks, then deleted).
    path("", include("accounts.urls")),
]
