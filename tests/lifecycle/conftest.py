"""The webhook test providers (signed like the real senders) for the lifecycle tests."""

from __future__ import annotations

from tests.webhooks.conftest import counting, test_handler, webhook_providers

__all__ = ["counting", "test_handler", "webhook_providers"]
