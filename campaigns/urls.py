from __future__ import annotations

from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("campaigns/new/", views.create, name="create"),
    path("campaigns/<int:pk>/", views.detail, name="detail"),
    path("campaigns/<int:pk>/rename/", views.rename, name="rename"),
    path("campaigns/<int:pk>/duplicate/", views.duplicate, name="duplicate"),
    path("campaigns/<int:pk>/delete/", views.delete, name="delete"),
    path("campaigns/<int:pk>/template/", views.template, name="template"),
    path("campaigns/<int:pk>/template/preview/", views.template_preview, name="template_preview"),
    path(
        "campaigns/<int:pk>/template/preview/frame/",
        views.template_preview_frame,
        name="template_preview_frame",
    ),
    path("campaigns/<int:pk>/recipients/", views.recipients, name="recipients"),
    path("campaigns/<int:pk>/preview/", views.preview, name="preview"),
    path("campaigns/<int:pk>/rejected.csv", views.rejected, name="rejected"),
    path("campaigns/<int:pk>/test/", views.test_send, name="test_send"),
    path("campaigns/<int:pk>/send/", views.send, name="send"),
    path("campaigns/<int:pk>/progress/", views.progress, name="progress"),
    path("campaigns/<int:pk>/export.csv", views.export, name="export"),
    path("campaigns/<int:pk>/schedule/", views.reschedule, name="reschedule"),
    path("campaigns/<int:pk>/schedule/cancel/", views.cancel_schedule, name="cancel_schedule"),
    path("campaigns/<int:pk>/pause/", views.pause, name="pause"),
    path("campaigns/<int:pk>/resume/", views.resume, name="resume"),
    path("campaigns/<int:pk>/retry/", views.retry, name="retry"),
]
