"""Ingest of the corpus fixture: scope, chunking, idempotency, edits, prune, unreadable files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from knowledge.models import EmbeddingStatus, KbDocument, KbEmbedding
from knowledge.services import IngestReport, source_files
from myloware.lib.errors import InvalidInput

pytestmark = pytest.mark.django_db
Ingest = Callable[..., IngestReport]


def _embeddings_by_doc() -> dict[str, tuple[str, str]]:
    return {
        f"{path}#{index}": (str(embedding_id), content_hash)
        for path, index, embedding_id, content_hash in KbEmbedding.objects.values_list(
            "doc__path", "doc__chunk_index", "id", "doc__content_hash"
        )
    }


def test_ingest_of_the_corpus_derives_scope_and_embeds_every_chunk(ingest: Ingest, corpus_kb: Path) -> None:
    report = ingest(corpus_kb)

    assert report.added == len(source_files(corpus_kb)) and not report.skipped
    assert report.chunks == KbDocument.objects.count() == report.embeddings_queued
    project_doc = KbDocument.objects.filter(path="kb/projects/aismr/guardrails/audio.foley.json").first()
    assert (project_doc.project, project_doc.persona) == ("aismr", None)
    persona_doc = KbDocument.objects.get(path="kb/personas/iggy/identity.json")
    assert (persona_doc.project, persona_doc.persona) == (None, "iggy")
    global_doc = KbDocument.objects.get(path="kb/architecture.md", chunk_index=0)
    assert (global_doc.project, global_doc.persona) == (None, None)
    assert set(KbDocument.objects.exclude(project=None).values_list("project", flat=True)) == {
        "aismr",
        "test_video_gen",
    }
    # Every chunk got its vector of the active model through the on-commit jobs.
    assert not KbDocument.objects.exclude(embedding_status=EmbeddingStatus.READY).exists()
    assert KbEmbedding.objects.count() == report.chunks


def test_files_over_the_limit_are_chunked_with_their_positions(
    ingest: Ingest, corpus_kb: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    ingest(corpus_kb)

    chunks = list(KbDocument.objects.filter(path="kb/social-media.md").order_by("chunk_index"))
    assert len(chunks) > 40
    assert [chunk.chunk_index for chunk in chunks] == list(range(len(chunks)))
    assert {chunk.chunk_count for chunk in chunks} == {len(chunks)}
    assert all(len(chunk.content) <= settings.KB_CHUNK_MAX_CHARS for chunk in chunks)
    small = KbDocument.objects.filter(path="kb/personas/iggy/identity.json")
    assert small.count() == 1
    # JSON is ingested as readable text: name/title/description first.
    overview = KbDocument.objects.get(path="kb/projects/aismr/project.json", chunk_index=0)
    assert overview.content.startswith("name: aismr\ntitle: AISMR")


def test_reingest_of_an_unchanged_tree_changes_and_embeds_nothing(ingest: Ingest, corpus_kb: Path) -> None:
    first = ingest(corpus_kb)
    documents = set(KbDocument.objects.values_list("id", "content_hash", "updated_at"))
    embeddings = _embeddings_by_doc()

    again = ingest(corpus_kb)

    assert (again.added, again.updated, again.removed, again.embeddings_queued) == (0, 0, 0, 0)
    assert again.unchanged == first.added
    assert set(KbDocument.objects.values_list("id", "content_hash", "updated_at")) == documents
    assert _embeddings_by_doc() == embeddings


def test_an_edited_file_replaces_only_its_own_chunks(ingest: Ingest, kb_copy: Path) -> None:
    ingest(kb_copy)
    before = _embeddings_by_doc()
    target = kb_copy / "social-media.md"
    target.write_text(target.read_text() + "\n\nAppendix: the zebra-striped thumbnail rule of 2026.\n")

    report = ingest(kb_copy)

    assert (report.updated, report.added, report.unchanged) == (1, 0, len(source_files(kb_copy)) - 1)
    after = _embeddings_by_doc()
    changed = {key for key in after if before.get(key) != after[key]}
    assert changed and all(key.startswith("kb/social-media.md#") for key in changed)
    assert (
        len(changed)
        == report.embeddings_queued
        < KbDocument.objects.filter(path="kb/social-media.md").count()
    )
    last = KbDocument.objects.filter(path="kb/social-media.md").order_by("-chunk_index").first()
    assert "zebra-striped thumbnail" in last.content
    assert last.embedding_status == EmbeddingStatus.READY


def test_a_shrunk_file_loses_its_surplus_chunks(ingest: Ingest, kb_copy: Path) -> None:
    ingest(kb_copy)
    target = kb_copy / "social-media.md"
    target.write_text(target.read_text()[:3000])

    ingest(kb_copy)

    chunks = KbDocument.objects.filter(path="kb/social-media.md")
    assert chunks.count() == 2
    assert KbEmbedding.objects.filter(doc__path="kb/social-media.md").count() == 2


def test_prune_removes_the_documents_of_deleted_files(ingest: Ingest, kb_copy: Path) -> None:
    ingest(kb_copy)
    (kb_copy / "editor-knowledge.md").unlink()
    (kb_copy / "personas" / "iggy" / "prompt.md").unlink()

    kept = ingest(kb_copy)
    assert kept.removed == 0 and KbDocument.objects.filter(path="kb/editor-knowledge.md").exists()

    pruned = ingest(kb_copy, prune=True)

    assert pruned.removed == 2
    assert not KbDocument.objects.filter(
        path__in=["kb/editor-knowledge.md", "kb/personas/iggy/prompt.md"]
    ).exists()
    assert not KbEmbedding.objects.filter(doc__path="kb/editor-knowledge.md").exists()
    assert KbDocument.objects.filter(path="kb/architecture.md").exists()


def test_prune_leaves_documents_of_other_trees_alone(ingest: Ingest, kb_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "notes"
    other.mkdir()
    (other / "a.md").write_text("# A note\n\nsomething else entirely")
    ingest(other)
    ingest(kb_copy, prune=True)
    assert KbDocument.objects.filter(path="notes/a.md").exists()


def test_an_unreadable_file_is_reported_and_skipped_the_rest_ingests(ingest: Ingest, kb_copy: Path) -> None:
    (kb_copy / "broken.json").write_text('{"name": "broken", ')
    (kb_copy / "latin1.md").write_bytes("caf\xe9 au lait".encode("latin-1"))

    report = ingest(kb_copy)

    assert sorted(path for path, _ in report.skipped) == ["kb/broken.json", "kb/latin1.md"]
    assert "JSONDecodeError" in dict(report.skipped)["kb/broken.json"]
    assert report.added == len(source_files(kb_copy)) - 2
    assert not KbDocument.objects.filter(path__in=["kb/broken.json", "kb/latin1.md"]).exists()


def test_the_command_shows_a_summary_and_exits_non_zero_when_a_file_was_skipped(
    kb_copy: Path, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    (kb_copy / "broken.json").write_text("[")
    out, err = io.StringIO(), io.StringIO()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError) as failure:
        call_command("kb_ingest", str(kb_copy), stdout=out, stderr=err)

    assert failure.value.returncode == 2
    assert "skipped kb/broken.json" in err.getvalue()
    assert "ingest" in err.getvalue()  # the progress bar
    summary = out.getvalue()
    assert "added" in summary and "embeddings queued" in summary and "1 skipped" in summary
    assert KbDocument.objects.filter(path="kb/architecture.md").exists()


def test_dry_run_prints_the_plan_and_writes_nothing(ingest: Ingest, kb_copy: Path) -> None:
    ingest(kb_copy)
    (kb_copy / "idea-gen.md").unlink()
    (kb_copy / "new.md").write_text("# New\n\nA new document")
    (kb_copy / "comedic-timing.md").write_text("# Comedic timing\n\nrewritten")
    snapshot = set(KbDocument.objects.values_list("id", "content_hash"))
    out = io.StringIO()

    call_command("kb_ingest", str(kb_copy), "--prune", "--dry-run", stdout=out)

    plan = out.getvalue()
    assert "added: kb/new.md" in plan
    assert "updated: kb/comedic-timing.md" in plan
    assert "removed: kb/idea-gen.md" in plan
    assert "dry run: 1 added, 1 updated" in plan
    assert set(KbDocument.objects.values_list("id", "content_hash")) == snapshot


def test_flags_override_the_scope_from_the_path(ingest: Ingest, tmp_path: Path) -> None:
    folder = tmp_path / "extra" / "personas" / "iggy"
    folder.mkdir(parents=True)
    (folder / "notes.json").write_text(json.dumps({"title": "Iggy notes", "items": [1, 2]}))

    ingest(tmp_path / "extra", project="aismr")
    doc = KbDocument.objects.get(path="extra/personas/iggy/notes.json")
    assert (doc.project, doc.persona) == ("aismr", "iggy")

    ingest(tmp_path / "extra", project="aismr", persona="riley")
    doc.refresh_from_db()
    assert (doc.project, doc.persona) == ("aismr", "riley")


def test_a_file_with_nul_characters_is_skipped(ingest: Ingest, tmp_path: Path) -> None:
    tree = tmp_path / "nul"
    tree.mkdir()
    (tree / "bad.md").write_text("text with a \x00 inside")
    (tree / "good.md").write_text("fine")
    report = ingest(tree)
    assert [path for path, _ in report.skipped] == ["nul/bad.md"]
    assert KbDocument.objects.filter(path="nul/good.md").exists()


def test_a_single_file_can_be_ingested_but_not_pruned_against(ingest: Ingest, kb_copy: Path) -> None:
    ingest(kb_copy)
    report = ingest(kb_copy / "architecture.md")
    assert report.unchanged == 1
    with pytest.raises(InvalidInput):
        ingest(kb_copy / "architecture.md", prune=True)
    assert KbDocument.objects.filter(path="kb/idea-gen.md").exists()


def test_a_missing_folder_is_a_clear_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("kb_ingest", str(tmp_path / "missing"))
