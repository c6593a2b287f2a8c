from __future__ import annotations

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("campaigns/<int:pk>/audit/", views.campaign_history, name="campaign_history"),
]
