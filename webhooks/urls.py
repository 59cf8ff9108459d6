from __future__ import annotations

from django.urls import path

from webhooks.api import (
    WebhookDLQDetailView,
    WebhookDLQListView,
    WebhookDLQReplayView,
    WebhookEventDetailView,
    WebhookEventListView,
    WebhookIntakeView,
)

# The fixed paths come first: "events" and "dlq" are reserved and can't be provider slugs.
urlpatterns = [
    path("webhooks/events", WebhookEventListView.as_view(), name="webhook-events"),
    path("webhooks/events/<uuid:event_id>", WebhookEventDetailView.as_view(), name="webhook-event"),
    path("webhooks/dlq", WebhookDLQListView.as_view(), name="webhook-dlq"),
    path("webhooks/dlq/<uuid:entry_id>", WebhookDLQDetailView.as_view(), name="webhook-dlq-entry"),
    path("webhooks/dlq/<uuid:entry_id>/replay", WebhookDLQReplayView.as_view(), name="webhook-dlq-replay"),
    path("webhooks/<str:provider>", WebhookIntakeView.as_view(), name="webhook-intake"),
]
