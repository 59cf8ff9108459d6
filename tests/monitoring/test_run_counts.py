"""The run counts behind ``myloware_runs``: the triggers' +1/-1 rows, summed, are always what a
GROUP BY over ``runs`` counts — after every kind of write, across folds, and with writers and
folds racing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from runs.models import Run, RunStatus, RunStatusCount
from runs.selectors import runs_per_project_and_status
from runs.services import run_create, run_status_counts_fold, run_transition
from tests.factories import make_run
from tests.race import race, raised


def group_by() -> list[tuple[str, str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT project, status, count(*) FROM runs GROUP BY 1, 2 ORDER BY 1, 2")
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


@pytest.mark.django_db
def test_the_counts_follow_every_write_and_survive_a_fold() -> None:
    runs = [make_run(status, project=project) for project in ("a", "b") for status in RunStatus.values]
    run_transition(run_id=runs[1].run_id, to=RunStatus.RUNNING, actor="t")  # pending → running
    Run.objects.filter(pk=runs[2].pk).update(project="c")  # any writer, not only the services
    Run.objects.filter(pk=runs[3].pk).delete()
    Run.objects.filter(pk=runs[4].pk).update(payload={"x": 1})  # neither project nor status: no row
    assert runs_per_project_and_status() == group_by()
    rows_before = RunStatusCount.objects.count()
    assert run_status_counts_fold() == len(group_by()) < rows_before
    assert RunStatusCount.objects.count() == len(group_by())
    assert runs_per_project_and_status() == group_by()
    Run.objects.all().delete()
    assert runs_per_project_and_status() == []


def test_writers_racing_with_folds_never_make_the_counts_wrong(transactional_db: Any) -> None:
    def work(index: int) -> None:
        for round_ in range(15):
            if index == 0:
                run_status_counts_fold()
                continue
            run = run_create(project=f"p{index % 3}", actor="t")
            run_transition(run_id=run.run_id, to=RunStatus.RUNNING, actor="t")
            if round_ % 3 == 0:
                run_transition(run_id=run.run_id, to=RunStatus.FAILED, actor="t")
            assert runs_per_project_and_status()  # a scrape meanwhile

    assert raised(race(6, work)) == []
    assert runs_per_project_and_status() == group_by()
    assert sum(n for _, _, n in group_by()) == 5 * 15
    run_status_counts_fold()
    assert runs_per_project_and_status() == group_by()
