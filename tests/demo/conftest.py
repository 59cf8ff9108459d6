"""What a demo run needs in a test: the webhook secrets its stand-in providers sign with, the fake
publisher (DEBUG only) and the demo's videos served by the live server itself."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.test import override_settings


def demo_settings(base_url: str) -> override_settings:
    providers = dict(settings.WEBHOOK_PROVIDERS)
    providers["kieai"] = dataclasses.replace(providers["kieai"], secrets=("kie-demo-secret",))
    providers["shotstack"] = dataclasses.replace(providers["shotstack"], secrets=("shotstack-demo-token",))
    return override_settings(
        WEBHOOK_PROVIDERS=providers,
        DEBUG=True,
        SOCIALS_FAKE_PUBLISHER=True,
        LANGGRAPH_DEMO_WAIT_SECONDS=10,
        WEBHOOK_OWN_MEDIA_PREFIXES=[f"{base_url}/static/demo/"],
    )
