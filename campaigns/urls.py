from __future__ import annotations

from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
