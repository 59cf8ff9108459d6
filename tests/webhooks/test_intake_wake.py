"""The intake's one statement stores the event and takes a free processor slot (docs/webhooks.md,
"Intake: one statement per delivery"): no event may be stranded by a processor that frees its slot
at the same moment, and a slot is taken only for a new, valid event."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone

from tests.race import race_all, raised
from tests.webhooks.conftest import Counting, fixture_bytes, sign_standard
from webhooks.models import EventStatus, WebhookEvent, WebhookProcessorLease
from webhooks.services import webhook_events_drain, webhook_receive

pytestmark = pytest.mark.django_db

ROUNDS = 80


def receive(msg_id: str, **signing: Any) -> Any:
    body = fixture_bytes("standard_event")
    headers = sign_standard(body, msg_id=msg_id, **signing)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return webhook_receive(provider="counting", body=body, headers=headers, query={})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_an_event_stored_while_the_last_processor_frees_its_slot_is_processed_at_once(
    counting: Counting, settings: Any, round_number: int
) -> None:
    """The processor finds the queue empty and frees its slot while the delivery is stored. Either
    the delivery's statement sees the slot free and starts a processor, or the leaving processor's
    last look sees the event: it is processed without the wake job, exactly once."""
    settings.WEBHOOK_PROCESSORS = 1
    owner = str(uuid.uuid4())
    WebhookProcessorLease.objects.create(
        slot=1, owner=owner, expires_at=timezone.now() + timedelta(minutes=1)
    )
    msg_id = f"leaving-{round_number}"
    outcomes = race_all([lambda: webhook_events_drain(slot=1, owner=owner), lambda: receive(msg_id).event_id])
    assert not raised(outcomes)
    assert WebhookEvent.objects.get(pk=outcomes[1]).status == EventStatus.PROCESSED
    assert counting.calls == {msg_id: 1}
    assert not WebhookProcessorLease.objects.exists()


def test_duplicates_and_rejected_deliveries_take_no_slot(counting: Counting, settings: Any) -> None:
    settings.WEBHOOK_PROCESSORS = 1
    first = receive("once")
    assert first.outcome == "accepted" and counting.calls == {"once": 1}
    # A free slot is there, but a duplicate or a forged delivery starts no processor.
    with TestCase.captureOnCommitCallbacks(execute=False) as started:
        assert receive("once").outcome == "duplicate"
        body = fixture_bytes("standard_event")
        forged = {**sign_standard(body, msg_id="forged"), "webhook-signature": "v1,AAAA"}
        rejected = webhook_receive(provider="counting", body=body, headers=forged, query={})
    assert rejected.outcome == "rejected"
    assert started == [] and not WebhookProcessorLease.objects.exists()
