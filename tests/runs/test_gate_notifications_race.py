"""Each gate message goes once: workers (real threads, each with its own database connection)
race for the same due messages, many rounds, and a replayed schedule finds nothing left."""

from __future__ import annotations

from collections import Counter

import pytest

from artifacts.services import artifact_create
from runs.models import GateNotification, NotificationStatus
from runs.services import gate_notifications_send_due, gate_open
from tests.race import race, raised
from tests.runs.conftest import CHAT_PATH, Notify
from tests.runs.test_gate_notifications import at_share

ROUNDS = 8
GATES_PER_ROUND = 3
WORKERS = 3


@pytest.mark.django_db(transaction=True)
def test_racing_workers_and_replayed_schedules_send_each_reminder_and_escalation_once(
    notify: Notify, make_run
):
    for round_ in range(ROUNDS):
        gates = []
        for _ in range(GATES_PER_ROUND):
            run = make_run(project="aismr")
            idea, _ = artifact_create(run_id=run.run_id, type="idea", persona="iggy", metadata={"text": "x"})
            # Committed at once: the task queued on commit (inline in the tests) sends the opening.
            gate_request, _ = gate_open(
                run_id=run.run_id, gate="ideate", actor="api:orchestrator", artifact_ids=[str(idea.id)]
            )
            gates.append(gate_request)
        for share, kind in ((0.5, "Reminder"), (0.8, "Escalation")):
            # Every gate of the round opened at about the same time: the latest one's clock makes
            # each of them due.
            now = max(at_share(gate, share) for gate in gates)
            outcomes = race(
                WORKERS, lambda _, now=now: gate_notifications_send_due(now=now), connect_first=True
            )
            assert raised(outcomes) == []
            assert sum(outcomes) == 2 * GATES_PER_ROUND, (round_, kind, outcomes)
            # The schedule replayed afterwards finds nothing left to send.
            assert gate_notifications_send_due(now=now) == 0
        for gate in gates:
            subjects = Counter(
                mail.subject.split(":")[0] for mail in notify.smtp.mails if gate.run_id in mail.subject
            )
            assert subjects == {"[MyloWare] aismr": 1, "[MyloWare] Reminder": 1, "[MyloWare] Escalation": 1}
            chats = Counter(
                post.body["text"].split(":")[0]
                for post in notify.chat.to(CHAT_PATH)
                if gate.run_id in post.body["text"]
            )
            assert chats == {"[MyloWare] aismr": 1, "[MyloWare] Reminder": 1, "[MyloWare] Escalation": 1}
    sent = GateNotification.objects.filter(status=NotificationStatus.SENT)
    assert sent.count() == ROUNDS * GATES_PER_ROUND * 6
    assert set(sent.values_list("attempts", flat=True)) == {1}
