"""The console tests drive webhook traffic with the webhook tests' providers and test handlers."""

from tests.webhooks.conftest import test_handler, webhook_providers  # noqa: F401 - fixtures
