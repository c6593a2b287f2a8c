from __future__ import annotations

from django.urls import path

from channels_email import views

app_name = "channels_email"

urlpatterns = [
    path("dev/inbox/", views.dev_inbox, name="dev_inbox"),
    path("dev/inbox/<int:pk>/html/", views.dev_inbox_html, name="dev_inbox_html"),
    path("unsubscribe/<int:message_id>/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("events/ses/", views.ses_events, name="ses_events"),
    path("settings/from-addresses/", views.from_addresses, name="from_addresses"),
    path("settings/from-addresses/<int:pk>/remove/", views.remove_from_address, name="remove_from_address"),
]
