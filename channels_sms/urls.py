from __future__ import annotations

from django.urls import path

from channels_sms import views

app_name = "channels_sms"

urlpatterns = [
    path("settings/sms/", views.credentials, name="credentials"),
    path("settings/sms/<int:pk>/delete/", views.delete_credential, name="delete_credential"),
    path("sms/callbacks/<int:message_id>/<str:token>/", views.status_callback, name="status_callback"),
]
