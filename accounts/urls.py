from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("agencies/<int:pk>/logo.png", views.agency_logo, name="agency_logo"),
]
