from __future__ import annotations

from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("settings/api-keys/", views.keys, name="keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.revoke, name="revoke"),
    path(
        "sms/api-callbacks/<int:sms_id>/<str:token>/", views.sms_status_callback, name="sms_status_callback"
    ),
]
