"""Framework-free text handling of the knowledge base: rendering, scope, chunking, hashing.

Everything here is a pure function of its input, so ingest stays idempotent: the same file and
the same chunking parameters always produce the same chunks and the same hashes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

# Bump when the chunking algorithm changes so that every source is re-chunked on next ingest.
CHUNKER_VERSION = "2"
SUPPORTED_SUFFIXES = (".md", ".json")
_TITLE_KEYS = ("name", "title", "description")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- rendering -----------------------------------------------------------------------------------


def render_source(path: str, raw: str) -> str:
    """The text that is chunked and embedded for a source file.

    JSON becomes readable text: its name, title and description first (what a question is most
    likely to be about), then the pretty-printed document. Raises ``ValueError`` on bad JSON.
    """
    if path.lower().endswith(".json"):
        return render_json(json.loads(raw))
    return raw.replace("\r\n", "\n").strip()


def render_json(document: Any) -> str:
    header = [f"{key}: {value}" for key, value in _title_fields(document) if value]
    body = json.dumps(document, indent=2, ensure_ascii=False)
    return "\n".join([*header, "", body]).strip() if header else body


def _title_fields(document: Any) -> list[tuple[str, str]]:
    """name/title/description of the document, or of its first nested object that has them."""
    if not isinstance(document, dict):
        return []
    found = [(key, str(document[key])) for key in _TITLE_KEYS if isinstance(document.get(key), str | int)]
    if found:
        return found
    for value in document.values():
        if isinstance(value, dict):
            nested = [(key, str(value[key])) for key in _TITLE_KEYS if isinstance(value.get(key), str | int)]
            if nested:
                return nested
    return []


# --- scope ---------------------------------------------------------------------------------------


def scope_from_path(path: str) -> tuple[str | None, str | None]:
    """(project, persona) derived from ``…/projects/<p>/…`` and ``…/personas/<p>/…``.

    ``<p>`` must be a folder: ``personas/iggy/prompt.md`` belongs to iggy, while
    ``personas/persona.json`` (a template next to the persona folders) stays global.
    """
    parts = PurePosixPath(path.replace("\\", "/")).parts
    project = persona = None
    # The last part is the file name; a scope folder must have something below it.
    for index, part in enumerate(parts[:-2]):
        if part == "projects" and project is None:
            project = parts[index + 1]
        elif part == "personas" and persona is None:
            persona = parts[index + 1]
    return project, persona


# --- chunking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkParams:
    max_chars: int = 2000
    overlap_chars: int = 200

    @property
    def signature(self) -> str:
        return f"v{CHUNKER_VERSION}:{self.max_chars}:{self.overlap_chars}"


@dataclass(frozen=True)
class _Block:
    text: str
    heading: bool


def chunk_text(text: str, params: ChunkParams) -> list[str]:
    """Split ``text`` into chunks of at most about ``max_chars`` characters.

    A text that fits stays whole. Otherwise blocks (paragraphs, code fences, single lines of
    line-oriented documents) are packed greedily; a chunk preferably ends before a heading, a
    block that is itself too long is cut at sentences, then words. Every chunk after the first
    starts with the last ``overlap_chars`` of its predecessor (at a word boundary), so a fact
    that straddles a boundary is still found whole in one chunk.
    """
    text = text.strip()
    if not text:
        return []
    if len(text) <= params.max_chars:
        return [text]
    budget = max(params.max_chars - params.overlap_chars, params.max_chars // 2)
    bodies = _pack(_blocks(text, budget), budget)
    chunks = [bodies[0]]
    for previous, body in zip(bodies, bodies[1:], strict=False):
        tail = _tail(previous, params.overlap_chars - 1)
        chunks.append(f"{tail}\n{body}" if tail else body)
    return chunks


def _blocks(text: str, budget: int) -> list[_Block]:
    blocks: list[_Block] = []
    # Markdown with headings marks its sections; plain line-oriented text gets the heuristic.
    markdown = any(_HEADING.match(line) for line in text.split("\n"))
    for paragraph in _paragraphs(text):
        first_line = paragraph.split("\n", 1)[0]
        is_heading = bool(_HEADING.match(first_line)) if markdown else _looks_like_title(paragraph)
        if len(paragraph) <= budget:
            blocks.append(_Block(paragraph, is_heading))
            continue
        for index, piece in enumerate(_split_long(paragraph, budget)):
            blocks.append(_Block(piece, is_heading and index == 0))
    return blocks


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; code fences stay one block; headings start a block.

    Many corpus files are line-oriented (one paragraph per line, no blank lines), so a single
    line break also separates blocks outside fences when the lines are long prose.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush() -> None:
        if current:
            paragraphs.append("\n".join(current).strip("\n"))
            current.clear()

    for line in text.split("\n"):
        if _FENCE.match(line):
            if not in_fence:
                flush()
            current.append(line)
            in_fence = not in_fence
            if not in_fence:
                flush()
            continue
        if in_fence:
            current.append(line)
            continue
        if not line.strip():
            flush()
        elif _HEADING.match(line) or len(line) > 200:
            flush()
            current.append(line)
            if len(line) > 200:
                flush()
        else:
            current.append(line)
    flush()
    return [paragraph for paragraph in paragraphs if paragraph.strip()]


def _looks_like_title(paragraph: str) -> bool:
    # Line-oriented documents mark sections with a short line without final punctuation.
    return "\n" not in paragraph and len(paragraph) < 80 and not paragraph.rstrip().endswith((".", ":", ","))


def _split_long(paragraph: str, budget: int) -> list[str]:
    pieces: list[str] = []
    for unit in _units(paragraph, budget):
        if pieces and len(pieces[-1]) + 1 + len(unit) <= budget:
            pieces[-1] = f"{pieces[-1]} {unit}" if not pieces[-1].endswith("\n") else pieces[-1] + unit
        else:
            pieces.append(unit)
    return pieces


def _units(paragraph: str, budget: int) -> list[str]:
    """Sentences (or lines of a code block), each cut at words when still longer than budget."""
    separator = "\n" if "\n" in paragraph else None
    raw = paragraph.split("\n") if separator else _SENTENCE_END.split(paragraph)
    units: list[str] = []
    for unit in raw:
        while len(unit) > budget:
            cut = unit.rfind(" ", 0, budget)
            cut = cut if cut > budget // 2 else budget
            units.append(unit[:cut].rstrip())
            unit = unit[cut:].lstrip()
        if unit.strip():
            units.append(unit)
    return units


def _pack(blocks: list[_Block], budget: int) -> list[str]:
    chunks: list[str] = []
    current: list[_Block] = []
    for block in blocks:
        size = _size(current)
        # End the chunk before a heading once it holds a useful amount of text.
        heading_break = block.heading and size >= budget // 2
        if current and (size + 2 + len(block.text) > budget or heading_break):
            cut = len(current) if heading_break else _last_heading_cut(current, budget)
            chunks.append("\n\n".join(b.text for b in current[:cut]))
            current = current[cut:]
            if current and _size(current) + 2 + len(block.text) > budget:
                chunks.append("\n\n".join(b.text for b in current))
                current = []
        current.append(block)
    if current:
        chunks.append("\n\n".join(b.text for b in current))
    return chunks


def _size(blocks: list[_Block]) -> int:
    return sum(len(block.text) for block in blocks) + 2 * max(len(blocks) - 1, 0)


def _last_heading_cut(blocks: list[_Block], budget: int) -> int:
    """Where to end an overflowing chunk: before its last heading if enough text precedes it,
    so that the section starts the next chunk instead of being split from its title."""
    for index in range(len(blocks) - 1, 0, -1):
        if blocks[index].heading and _size(blocks[:index]) >= budget // 3:
            return index
    return len(blocks)


def _tail(text: str, overlap: int) -> str:
    if overlap <= 0 or not text:
        return ""
    tail = text[-overlap:]
    if len(text) > overlap:
        space = tail.find(" ")
        tail = tail[space + 1 :] if 0 <= space < len(tail) // 2 else tail
    return tail.strip()
