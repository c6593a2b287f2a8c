from __future__ import annotations

from django.urls import path

from protected_email import views

app_name = "protected_email"

urlpatterns = [
    path("p/<str:message_id>/", views.protected_page, name="page"),
    path("p/<str:message_id>/unlock/", views.unlock_message, name="unlock"),
]
