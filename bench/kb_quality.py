"""Benchmark: ingest throughput and retrieval quality on the real MyloWare corpus.

    .venv/bin/python bench/kb_quality.py [--k 5] [--questions bench/kb_quality_questions.json]

In a database of its own (``myloware_bench_kb_quality``, created and migrated on first use):

1. ingests ``tests/fixtures/corpus/kb`` and ``tests/fixtures/corpus/knowledge`` from scratch with the
   configured backend (offline ``hashing`` by default), embedding jobs run inline, and reports
   files/s and chunks (documents)/s; then re-ingests the unchanged tree (the no-op path);
2. asks the labelled questions of ``bench/kb_quality_questions.json`` (each names the file or
   files that answer it; a hit is any chunk of such a file) in ``vector``, ``fulltext`` and
   ``hybrid`` mode, and reports recall@k (share of questions with an answering file in the top
   k) and MRR@10 (mean reciprocal rank of the first answering chunk in the top 10).

Chunking knobs come from the environment as in production, so
``KB_CHUNK_MAX_CHARS=1000 KB_CHUNK_OVERLAP_CHARS=100 .venv/bin/python bench/kb_quality.py``
compares chunk sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")
# Embedding jobs run inline on commit, so the ingest time includes embedding.
os.environ["Q_SYNC"] = "1"

BENCH_DB = "myloware_bench_kb_quality"
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
MODES = ("vector", "fulltext", "hybrid")


def setup_django() -> None:
    import logging

    benchdb.use_for_django(BENCH_DB)
    logging.getLogger("django-q").setLevel(logging.WARNING)
    logging.getLogger("knowledge").setLevel(logging.WARNING)


def ingest_all() -> None:
    from django.db import connection

    from knowledge.embedding import active_model
    from knowledge.services import kb_ingest

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE kb_documents CASCADE")
    trees = [CORPUS / "kb", CORPUS / "knowledge"]
    for label in ("first ingest", "re-ingest (unchanged)"):
        started = time.perf_counter()
        reports = [kb_ingest(root=tree, actor="bench") for tree in trees]
        seconds = time.perf_counter() - started
        files = sum(report.files for report in reports)
        chunks = sum(report.chunks for report in reports)
        embedded = sum(report.embeddings_queued for report in reports)
        print(
            f"{label}: {files} files, {chunks} chunks, {embedded} embedded in {seconds:.2f} s "
            f"-> {files / seconds:.0f} files/s, {chunks / seconds:.0f} documents/s ({active_model()})"
        )


def evaluate(questions: list[dict], k: int) -> None:
    from knowledge.services import kb_search

    print(f"\n{len(questions)} labelled questions; recall@{k} and MRR@10 per mode")
    print(f"{'mode':<9} {'recall@' + str(k):>9} {'MRR@10':>7} {'median ms':>10}  misses")
    for mode in MODES:
        hits_at_k, reciprocal, latencies, misses = 0, [], [], []
        for number, question in enumerate(questions, 1):
            response = kb_search(
                query=question["q"],
                actor="bench",
                k=10,
                mode=mode,
                project=question.get("project"),
                persona=question.get("persona"),
            )
            latencies.append(response.latency_ms)
            paths = [hit.path for hit in response.hits]
            answers = set(question["answers"])
            if answers & set(paths[:k]):
                hits_at_k += 1
            else:
                misses.append(number)
            rank = next((index for index, path in enumerate(paths, 1) if path in answers), None)
            reciprocal.append(1 / rank if rank else 0.0)
        print(
            f"{mode:<9} {hits_at_k / len(questions):>9.3f} {statistics.mean(reciprocal):>7.3f} "
            f"{statistics.median(latencies):>10.1f}  {misses}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "kb_quality_questions.json")
    parser.add_argument("--skip-ingest", action="store_true", help="reuse the documents of the last run")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    print(
        f"chunking: max {settings.KB_CHUNK_MAX_CHARS} chars, overlap {settings.KB_CHUNK_OVERLAP_CHARS}; "
        f"backend {settings.KB_EMBEDDING_BACKEND}"
    )
    if not args.skip_ingest:
        ingest_all()
    evaluate(json.loads(args.questions.read_text())["questions"], args.k)


if __name__ == "__main__":
    main()
