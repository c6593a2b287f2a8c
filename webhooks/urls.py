from __future__ import annotations

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("settings/webhooks/", views.endpoints, name="endpoints"),
    path("settings/webhooks/<int:pk>/", views.endpoint, name="endpoint"),
    path("settings/webhooks/<int:pk>/state/", views.set_state, name="set_state"),
    path("settings/webhooks/<int:pk>/delete/", views.delete, name="delete"),
    path("settings/webhooks/<int:pk>/deliveries/<int:delivery_id>/", views.delivery, name="delivery"),
    path("settings/webhooks/<int:pk>/deliveries/<int:delivery_id>/replay/", views.replay, name="replay"),
]
