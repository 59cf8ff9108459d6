"""Rendering, scope derivation and chunking (pure functions, no database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.text import ChunkParams, chunk_text, render_source, scope_from_path

PARAMS = ChunkParams(max_chars=2000, overlap_chars=200)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("kb/projects/aismr/guardrails/audio.foley.json", ("aismr", None)),
        ("projects/test_video_gen/overview.json", ("test_video_gen", None)),
        ("kb/personas/iggy/prompt.md", (None, "iggy")),
        ("kb/personas/persona.json", (None, None)),  # a template beside the persona folders
        ("kb/projects/overview.json", (None, None)),
        ("kb/architecture.md", (None, None)),
        ("x/projects/aismr/personas/riley/notes.md", ("aismr", "riley")),
    ],
)
def test_scope_is_derived_from_project_and_persona_folders(path: str, expected: tuple) -> None:
    assert scope_from_path(path) == expected


def test_json_is_rendered_with_its_name_title_and_description_first() -> None:
    raw = json.dumps(
        {"specs": {"videoCount": 12}, "name": "aismr", "title": "AISMR", "description": "Surreal"}
    )
    text = render_source("projects/aismr/project.json", raw)
    assert text.splitlines()[:3] == ["name: aismr", "title: AISMR", "description: Surreal"]
    assert '"videoCount": 12' in text


def test_invalid_json_is_an_error() -> None:
    with pytest.raises(ValueError):
        render_source("broken.json", "{not json")


def test_a_small_text_stays_whole() -> None:
    assert chunk_text("# Title\n\nshort body", PARAMS) == ["# Title\n\nshort body"]


def test_large_files_are_split_within_the_limit_with_overlap(corpus_kb: Path) -> None:
    text = render_source("kb/social-media.md", (corpus_kb / "social-media.md").read_text())
    chunks = chunk_text(text, PARAMS)
    assert len(chunks) > len(text) // PARAMS.max_chars
    assert all(len(chunk) <= PARAMS.max_chars for chunk in chunks)
    for previous, current in zip(chunks, chunks[1:], strict=False):
        # The chunk opens with (at most overlap_chars of) the end of its predecessor.
        assert current[:30] in previous[-PARAMS.overlap_chars :]
    # Nothing is lost: every word sequence of the source appears in some chunk.
    flattened = [" ".join(chunk.split()) for chunk in chunks]
    for line in text.splitlines():
        for sentence in filter(None, (" ".join(part.split()) for part in line.split(". "))):
            assert any(sentence[:60] in chunk for chunk in flattened), sentence[:60]


def test_chunks_prefer_to_break_before_markdown_headings(corpus_kb: Path) -> None:
    text = (corpus_kb / "shotstack-api-docs.md").read_text()
    chunks = chunk_text(text, PARAMS)
    bodies = [chunks[0]] + [
        _without_overlap(prev, cur) for prev, cur in zip(chunks, chunks[1:], strict=False)
    ]
    starting_with_heading = sum(body.lstrip().startswith("#") for body in bodies)
    assert starting_with_heading >= len(chunks) // 2


def test_chunking_is_deterministic(corpus_kb: Path) -> None:
    text = (corpus_kb / "idea-gen.md").read_text()
    assert chunk_text(text, PARAMS) == chunk_text(text, PARAMS)


def _without_overlap(previous: str, chunk: str) -> str:
    for length in range(min(len(previous), PARAMS.overlap_chars), 0, -1):
        if previous.endswith(chunk[:length]) and chunk[length : length + 1] == "\n":
            return chunk[length + 1 :]
    return chunk
