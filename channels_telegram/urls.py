from __future__ import annotations

from django.urls import path

from channels_telegram import views

app_name = "channels_telegram"

urlpatterns = [
    path("settings/telegram/", views.bots, name="bots"),
    path("settings/telegram/<int:pk>/delete/", views.delete_bot, name="delete_bot"),
    path("settings/telegram/<int:pk>/qr.svg", views.qr_download, name="qr"),
    path("settings/telegram/<int:pk>/subscribers/", views.subscribers, name="subscribers"),
    path("telegram/webhook/<str:webhook_id>/", views.webhook, name="webhook"),
]
