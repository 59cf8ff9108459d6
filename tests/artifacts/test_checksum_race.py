"""artifact_create's one-statement dedup (INSERT ... ON CONFLICT on the run + type + checksum
index): writers racing with one checksum create one artifact, and every writer gets it back."""

from __future__ import annotations

import pytest
from django.db import transaction

from artifacts.models import Artifact
from artifacts.services import artifact_create
from runs.services import run_create, run_get
from tests.race import race, raised

ROUNDS = 5
WRITERS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_writers_racing_with_one_checksum_create_one_artifact(round_number: int) -> None:
    run_id = run_create(project="aismr", run_id=f"run_race_{round_number}").run_id

    def write(index: int) -> tuple[str, bool]:
        with transaction.atomic():
            artifact, created = artifact_create(
                run_id=run_id, type="clip", url=f"https://cdn.test/{index}.mp4", checksum="same-clip"
            )
        return str(artifact.pk), created

    outcomes = race(WRITERS, write, connect_first=True)
    assert not raised(outcomes)
    stored = Artifact.objects.get(run_id=run_id, type="clip", checksum="same-clip")
    assert {pk for pk, _ in outcomes} == {str(stored.pk)}
    assert sorted(created for _, created in outcomes) == [False] * (WRITERS - 1) + [True]


@pytest.mark.django_db
def test_a_caller_holding_the_run_gets_the_same_artifact_back_with_its_stored_fields() -> None:
    run = run_create(project="aismr", run_id="run_held")
    with transaction.atomic():
        held = run_get(run_id=run.run_id, for_update=True)
        first, created = artifact_create(
            run_id=run.run_id, type="clip", checksum="c1", metadata={"videoIndex": 0}, run=held
        )
        again, created_again = artifact_create(run_id=run.run_id, type="clip", checksum="c1", run=held)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.metadata == {"videoIndex": 0}
    assert first.created_at == Artifact.objects.get(pk=first.pk).created_at
    # No checksum: never deduplicated.
    assert (
        artifact_create(run_id=run.run_id, type="idea")[1]
        and artifact_create(run_id=run.run_id, type="idea")[1]
    )
