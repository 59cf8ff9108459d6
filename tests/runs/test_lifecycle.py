from __future__ import annotations

import itertools

import pytest

from myloware.lib.errors import Conflict
from runs.models import Run, RunStatus, RunTransition
from runs.services import run_create, run_merge_result, run_transition
from tests.race import race

S = RunStatus
# The lifecycle of docs/runs.md (Run lifecycle), written out independently of runs.models.ALLOWED_TRANSITIONS.
EXPECTED = {
    (S.PENDING_WORKFLOW, S.PENDING),
    (S.PENDING_WORKFLOW, S.REJECTED),
    (S.PENDING_WORKFLOW, S.FAILED),
    (S.PENDING_WORKFLOW, S.CANCELLED),
    (S.PENDING, S.RUNNING),
    (S.PENDING, S.FAILED),
    (S.PENDING, S.CANCELLED),
    (S.RUNNING, S.AWAITING_APPROVAL),
    (S.RUNNING, S.PUBLISHED),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.CANCELLED),
    (S.AWAITING_APPROVAL, S.RUNNING),
    (S.AWAITING_APPROVAL, S.PENDING),
    (S.AWAITING_APPROVAL, S.REJECTED),
    (S.AWAITING_APPROVAL, S.FAILED),
    (S.AWAITING_APPROVAL, S.CANCELLED),
}


def _run_in(status: str) -> Run:
    # make_<thing>: put a run straight into any status to test every pair cheaply.
    return Run.objects.create(
        run_id=f"run_{status}_{Run.objects.count()}", project="p", status=status, result={}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), list(itertools.product(S.values, S.values)))
def test_every_pair_of_the_transition_table(source, target):
    run = _run_in(source)
    if (source, target) in EXPECTED:
        moved = run_transition(run_id=run.run_id, to=target, actor="api:t", reason="because")
        assert moved.status == target
        log = RunTransition.objects.get(run=run)
        assert (log.from_status, log.to_status, log.actor, log.reason) == (source, target, "api:t", "because")
    else:
        with pytest.raises(Conflict) as caught:
            run_transition(run_id=run.run_id, to=target, actor="api:t")
        assert caught.value.details["current_status"] == source
        run.refresh_from_db()
        assert run.status == source
        assert not RunTransition.objects.filter(run=run).exists()


@pytest.mark.django_db
def test_unknown_target_status_is_refused():
    run = _run_in(S.PENDING)
    with pytest.raises(Conflict, match="Unknown status"):
        run_transition(run_id=run.run_id, to="done", actor="t")


@pytest.mark.django_db(transaction=True)
def test_writers_racing_on_one_transition_one_wins():
    run = run_create(project="p", run_id="run_race")
    outcomes = race(6, lambda i: run_transition(run_id=run.run_id, to=S.RUNNING, actor=f"w{i}"))
    winners = [o for o in outcomes if isinstance(o, Run)]
    losers = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(winners), len(losers)) == (1, 5)
    assert RunTransition.objects.filter(run_id=run.run_id, to_status=S.RUNNING).count() == 1


@pytest.mark.django_db(transaction=True)
def test_publish_and_cancel_racing_leave_exactly_one_terminal_status():
    run = run_create(project="p", run_id="run_race2")
    run_transition(run_id=run.run_id, to=S.RUNNING, actor="t")
    targets = [S.PUBLISHED, S.CANCELLED] * 3
    outcomes = race(6, lambda i: run_transition(run_id=run.run_id, to=targets[i], actor="t"))
    assert sum(isinstance(o, Run) for o in outcomes) == 1
    final = Run.objects.get(pk=run.pk).status
    assert RunTransition.objects.filter(run_id=run.run_id, from_status=S.RUNNING).get().to_status == final


@pytest.mark.django_db(transaction=True)
def test_concurrent_result_merges_lose_nothing():
    run = run_create(project="p", run_id="run_merge")
    race(8, lambda i: run_merge_result(run_id=run.run_id, patch={"videos": {str(i): {"ok": True}}}))
    assert Run.objects.get(pk=run.pk).result == {"videos": {str(i): {"ok": True} for i in range(8)}}


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_creates_give_one_run():
    outcomes = race(4, lambda i: run_create(project="p", run_id="run_dup", payload={"a": 1}))
    assert all(isinstance(o, Run) for o in outcomes), outcomes
    assert RunTransition.objects.filter(run_id="run_dup").count() == 1
