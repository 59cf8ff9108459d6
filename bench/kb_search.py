"""Benchmark: HNSW vector search at 100,000 documents — recall, latency, filters, API overhead.

    .venv/bin/python bench/kb_search.py [--rows 100000] [--queries 200] [--reuse]

In a database of its own (``myloware_bench_kb_search``, created and migrated on first use):

1. generates ``--rows`` clustered, L2-normalised 1536-d vectors (100 clusters x 10 sub-clusters
   plus noise, so neighbourhoods exist at several scales like real embeddings; not uniform
   random) and loads them with binary ``COPY``; 10% of the documents belong to project ``p10``,
   1% to ``p1`` (independent of the clusters), the rest to ``bulk``;
2. drops and rebuilds the HNSW index (m=16, ef_construction=64, as the migration) and reports
   the build time;
3. for ``--queries`` new query vectors from the same distribution computes the exact top-10
   (sequential scan) and then, for several ``hnsw.ef_search``, recall@10 and median/p99 latency
   of the production query (``knowledge.selectors.vector_sql``), unfiltered and with a project
   filter of 10% and 1% selectivity, with and without iterative index scans;
4. sends the same queries through the REST API (``POST /api/v1/kb/search`` in-process with
   Django's test client, API-key auth, DEBUG off) and as raw SQL, alternating, and reports the
   ratio. The API embeds its query text with the ``openai`` backend pointed at a local fake
   server (a separate process) that returns the pre-generated query vectors, so both paths
   search the same vectors; the API figure therefore includes one local HTTP round trip.

``--reuse`` keeps the documents and index of a previous run (no generation, COPY or build);
``--skip-recall`` runs only the API comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import socket
import statistics
import sys
import time
import uuid
from array import array
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")

BENCH_DB = "myloware_bench_kb_search"
DIM = 1536
MODEL = "bench-synthetic"
EF_SEARCH = (20, 40, 100, 200)
K = 10


# --- data --------------------------------------------------------------------------------------


def _unit(values: list[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in values))
    return [value / norm for value in values]


def _noise(scale: float) -> list[float]:
    # os.urandom is ~50x faster than random.gauss; uniform noise of 1536 dims is near-Gaussian
    # after normalisation. Uniform [-128, 127] has a norm of ~2,896 over 1536 dims.
    factor = scale / 2896.0
    return [value * factor for value in array("b", os.urandom(DIM))]


class Generator:
    """Vectors = cluster centre + 0.6 sub-cluster offset + 0.45 noise, normalised."""

    def __init__(self, seed: int = 7, clusters: int = 100, subclusters: int = 10) -> None:
        rng = random.Random(seed)
        self.centres = [_unit([rng.gauss(0, 1) for _ in range(DIM)]) for _ in range(clusters)]
        self.subs = [
            [
                [0.6 * value for value in _unit([rng.gauss(0, 1) for _ in range(DIM)])]
                for _ in range(subclusters)
            ]
            for _ in range(clusters)
        ]
        self.rng = rng

    def vector(self) -> list[float]:
        cluster = self.rng.randrange(len(self.centres))
        centre, sub = self.centres[cluster], self.rng.choice(self.subs[cluster])
        noise = _noise(0.45)
        return _unit([c + s + n for c, s, n in zip(centre, sub, noise, strict=True)])


def load(conninfo: str, rows: int, generator: Generator) -> None:
    import psycopg
    from pgvector import Vector
    from pgvector.psycopg import register_vector

    with psycopg.connect(conninfo, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("TRUNCATE kb_documents CASCADE")
        conn.execute("DROP INDEX IF EXISTS kb_embeddings_hnsw_cosine")
        rng = random.Random(11)
        started = time.perf_counter()
        ids = [uuid.uuid4() for _ in range(rows)]
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY kb_documents (id, path, content, project, embedding_status, embedding_model) FROM STDIN"
            ) as copy,
        ):
            for index, doc_id in enumerate(ids):
                draw = rng.random()
                project = "p1" if draw < 0.01 else "p10" if draw < 0.11 else "bulk"
                copy.write_row(
                    (doc_id, f"synthetic/{index}.md", f"synthetic document {index}", project, "ready", MODEL)
                )
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY kb_embeddings (doc_id, model, embedding) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(["uuid", "text", "vector"])
            for count, doc_id in enumerate(ids, 1):
                copy.write_row((doc_id, MODEL, Vector(generator.vector())))
                if count % 10_000 == 0:
                    print(
                        f"  generated and copied {count:,} vectors ({time.perf_counter() - started:.0f} s)",
                        flush=True,
                    )
        print(f"COPY of {rows:,} documents + vectors: {time.perf_counter() - started:.1f} s")
        conn.execute("ANALYZE kb_documents")
        conn.execute("SET maintenance_work_mem = '3GB'")
        conn.execute("SET max_parallel_maintenance_workers = 1")
        started = time.perf_counter()
        conn.execute(
            "CREATE INDEX kb_embeddings_hnsw_cosine ON kb_embeddings "
            "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        print(
            f"HNSW index build (m=16, ef_construction=64, 2 workers): {time.perf_counter() - started:.1f} s"
        )
        conn.execute("ANALYZE kb_embeddings")


# --- fake embeddings server (the API's query embedding) -----------------------------------------


def serve_embeddings(port: int, vectors: list[list[float]]) -> None:
    # Answers are pre-serialised: the server should cost as little as a real one's network hop.
    answers = {
        f"q:{index}": json.dumps(
            {
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": vector}],
                "model": MODEL,
            }
        ).encode()
        for index, vector in enumerate(vectors)
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the httpx client's pool
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def do_POST(self) -> None:  # noqa: N802
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            payload = answers[request["input"][0]]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- measurements -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def exact_top(conn: Any, literal: str, project: str | None) -> list[str]:
    from knowledge.selectors import vector_sql

    with conn.transaction():
        conn.execute("SET LOCAL enable_indexscan = off")
        rows = conn.execute(
            vector_sql(project=project, exact=True),
            {"q": literal, "model": MODEL, "k": K, "project": project, "persona": None},
        ).fetchall()
    return [str(row[0]) for row in rows]


def timed_query(
    conn: Any, literal: str, project: str | None, ef: int, iterative: bool, force_index: bool = False
) -> tuple[list[str], float]:
    from knowledge.selectors import vector_sql

    started = time.perf_counter()
    with conn.transaction():
        conn.execute(
            "SELECT set_config('hnsw.iterative_scan', %s, true), set_config('hnsw.ef_search', %s, true), "
            "set_config('enable_sort', %s, true)",
            ["relaxed_order" if iterative else "off", str(ef), "off" if force_index else "on"],
        )
        rows = conn.execute(
            vector_sql(project=project),
            {"q": literal, "model": MODEL, "k": K, "project": project, "persona": None},
        ).fetchall()
    return [str(row[0]) for row in rows], (time.perf_counter() - started) * 1000


def plan_of(conn: Any, literal: str, project: str | None, ef: int, iterative: bool, force_index: bool) -> str:
    from knowledge.selectors import vector_sql

    with conn.transaction():
        conn.execute(
            "SELECT set_config('hnsw.iterative_scan', %s, true), set_config('hnsw.ef_search', %s, true), "
            "set_config('enable_sort', %s, true)",
            ["relaxed_order" if iterative else "off", str(ef), "off" if force_index else "on"],
        )
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                "EXPLAIN " + vector_sql(project=project),
                {"q": literal, "model": MODEL, "k": K, "project": project, "persona": None},
            ).fetchall()
        )
    return "HNSW index" if "kb_embeddings_hnsw_cosine" in plan else "exact (filter first)"


def recall_table(conn: Any, literals: list[str]) -> None:
    print(f"\nrecall@{K} against exact search, latency of the production query (ms), {len(literals)} queries")
    print("('index forced' disables sorting so the planner must walk HNSW: the plan of a filter the")
    print(" planner does not consider selective enough for an exact scan)")
    header = f"{'filter':<12} {'plan choice':<13} {'iterative':<10} {'ef_search':>9} {'recall@10':>10}"
    print(f"{header} {'median':>8} {'p99':>8} {'k returned':>10}  plan")
    for project, label in ((None, "none"), ("p10", "project 10%"), ("p1", "project 1%")):
        started = time.perf_counter()
        truth = [set(exact_top(conn, literal, project)) for literal in literals]
        print(f"  (exact ground truth for {label}: {time.perf_counter() - started:.1f} s)", flush=True)
        for force_index, iterative in ((False, True), (False, False), (True, True), (True, False)):
            if project is None and (not iterative or force_index):
                continue  # without a filter the iterative scan changes nothing
            for ef in EF_SEARCH:
                recalls, latencies, returned = [], [], []
                for literal, expected in zip(literals, truth, strict=True):
                    ids, ms = timed_query(conn, literal, project, ef, iterative, force_index)
                    recalls.append(len(expected & set(ids)) / len(expected))
                    latencies.append(ms)
                    returned.append(len(ids))
                choice = "index forced" if force_index else "planner"
                plan = plan_of(conn, literals[0], project, ef, iterative, force_index)
                print(
                    f"{label:<12} {choice:<13} {'on' if iterative else 'off':<10} {ef:>9} "
                    f"{statistics.mean(recalls):>10.3f} {statistics.median(latencies):>8.2f} "
                    f"{percentile(latencies, 0.99):>8.2f} {min(returned):>4}-{max(returned):<5}  {plan}",
                    flush=True,
                )


def api_vs_sql(conn: Any, literals: list[str], ef: int) -> None:
    from django.conf import settings
    from django.test import Client

    from myloware.api.models import ALL_SCOPES, ApiKey
    from myloware.api.services import api_key_create

    settings.KB_SEARCH_EF_SEARCH = ef
    ApiKey.objects.filter(name="bench-kb-search").delete()
    _, raw_key = api_key_create(name="bench-kb-search", scopes=ALL_SCOPES)
    client = Client(HTTP_X_API_KEY=raw_key)
    from knowledge.embedding import get_backend

    backend = get_backend()
    embed_ms = []
    for index in range(len(literals)):
        started = time.perf_counter()
        backend.embed([f"q:{index}"])
        embed_ms.append((time.perf_counter() - started) * 1000)
    embed = statistics.median(embed_ms)
    # The floor of any authenticated API call here: a 404 for an unknown document (middleware,
    # DRF, the API-key lookup, one query, the JSON error body).
    floor_ms = []
    for _ in range(len(literals)):
        started = time.perf_counter()
        client.get(f"/api/v1/kb/documents/{uuid.uuid4()}")
        floor_ms.append((time.perf_counter() - started) * 1000)
    print(
        f"floor of an authenticated API call (GET of an unknown document, 404): {statistics.median(floor_ms):.2f} ms"
    )
    print(f"\nAPI vs raw SQL at ef_search={ef}, k={K}, {len(literals)} queries each (alternating)")
    print(
        f"query embedding round trip to the local fake server: median {embed:.2f} ms (inside the API figure)"
    )
    print(
        f"{'filter':<12} {'SQL median':>10} {'API median':>10} {'SQL p99':>8} {'API p99':>8} "
        f"{'ratio':>6} {'ratio w/o embedding':>20}"
    )
    for project, label in ((None, "none"), ("p10", "project 10%"), ("p1", "project 1%")):
        sql_ms, api_ms = [], []
        for index, literal in enumerate(literals):
            body = {"query": f"q:{index}", "k": K}
            if project:
                body["project"] = project
            # Whichever path runs second finds the first one's pages cached: alternate the order.
            if index % 2:
                sql_ms.append(timed_query(conn, literal, project, ef, True)[1])
            started = time.perf_counter()
            response = client.post("/api/v1/kb/search", body, content_type="application/json")
            api_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
            assert len(response.json()["results"]) == K
            if not index % 2:
                sql_ms.append(timed_query(conn, literal, project, ef, True)[1])
        ratio = statistics.median(api_ms) / statistics.median(sql_ms)
        without = (statistics.median(api_ms) - embed) / statistics.median(sql_ms)
        print(
            f"{label:<12} {statistics.median(sql_ms):>10.2f} {statistics.median(api_ms):>10.2f} "
            f"{percentile(sql_ms, 0.99):>8.2f} {percentile(api_ms, 0.99):>8.2f} {ratio:>6.2f} {without:>20.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--api-ef", type=int, default=40, help="ef_search of the API comparison")
    parser.add_argument("--reuse", action="store_true", help="keep the data and index of the last run")
    parser.add_argument("--skip-recall", action="store_true", help="only the API vs SQL comparison")
    args = parser.parse_args()

    generator = Generator()
    queries = [generator.vector() for _ in range(args.queries)]
    port = free_port()
    server = multiprocessing.Process(target=serve_embeddings, args=(port, queries), daemon=True)
    server.start()
    # The API's backend: OpenAI-compatible, pointed at the fake server; DEBUG off as in production.
    os.environ.update(
        {
            "KB_EMBEDDING_BACKEND": "openai",
            "KB_OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "KB_OPENAI_API_KEY": "bench-not-a-secret",
            "KB_EMBEDDING_MODEL": MODEL,
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",  # the test client speaks plain HTTP
            "SECRET_KEY": "bench-only-secret-key-not-used-for-anything-real",
        }
    )
    benchdb.use_for_django(BENCH_DB)
    from django.db import connection

    params = connection.get_connection_params()  # the embedded server's socket folder once it runs
    import logging

    logging.disable(logging.WARNING)
    conninfo = f"dbname={BENCH_DB} user={params.get('user') or 'postgres'} host={params['host']}"
    print(f"machine: {os.cpu_count()} cores; PostgreSQL {_server_version(conninfo)}; rows {args.rows:,}")
    if not args.reuse:
        load(conninfo, args.rows, generator)

    import psycopg

    from knowledge.selectors import vector_literal

    literals = [vector_literal(vector) for vector in queries]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for literal in literals[:20]:  # warm the cache
            timed_query(conn, literal, None, 40, True)
        if not args.skip_recall:
            recall_table(conn, literals)
        api_vs_sql(conn, literals, args.api_ef)
    server.terminate()


def _server_version(conninfo: str) -> str:
    import psycopg

    with psycopg.connect(conninfo) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


if __name__ == "__main__":
    main()
