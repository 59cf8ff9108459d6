"""``DjangoCheckpointSaver``: LangGraph checkpoints in the runs app's own tables.

Storage follows ``langgraph-checkpoint-postgres`` (a checkpoint row with primitive channel values
inline, one blob per channel version, pending writes per task), on the Django connection:

- Each operation is ONE SQL statement (data-modifying CTEs, arrays for the rows of a batch), so it
  is atomic without an explicit transaction and costs one round trip (prune and delete_for_runs
  add a blob clean-up statement in the same transaction).
- The saver has Django connections of its own to the ``default`` database (see ``_Connection``
  for why not the calling thread's). Statements run on a raw psycopg cursor of that connection
  (server-side binding, binary results, prepared on first use): Django's own cursor binds
  client-side, which would hex-escape every blob into the SQL text.
- ``put`` of a root checkpoint also upserts ``orchestration_checkpoints`` (the one-row-per-run
  view the admin shows) with the checkpoint's channel values as readable JSON, in the same
  statement, and only when ``thread_id`` names an existing run: the view is current the moment
  ``put`` returns, and a crash can't leave it behind the checkpoint.
- Blobs (channel values, pending writes) of 2 KiB or more are stored zstd-compressed
  (``compression.py``): cheaper than the server's own pglz compression of them.
- Async methods run the sync ones on a small thread pool of the saver's (each thread with its own
  connection), so they never block the event loop. ``close()`` closes every connection.
"""

from __future__ import annotations

import asyncio
import builtins
import functools
import math
import random
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
import psycopg
from django.conf import settings
from django.db import DatabaseError, connections
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
    writes_sort_key,
)
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.types import _DeltaSnapshot
from psycopg.types.json import Jsonb

from myloware.lib.sql import allow_prepared_statements
from runs.langgraph import compression, readable

T = TypeVar("T")

PRUNE_STRATEGIES = ("keep_latest", "delete")
PRUNE_BATCH = 200
FLOAT_INLINE_LIMIT = 1e16

# --- SQL ----------------------------------------------------------------------------------------
# Parameters are named (%(x)s) so each statement reads top to bottom.

# Rows of a batch go in as a VALUES list (one statement text per row count, each prepared once):
# measured twice as fast as unnest() over array parameters, whose bytea[] costs more to send
# and unpack than the rows themselves.


@functools.cache
def blobs_cte(rows: int) -> str:
    values = ", ".join(
        f"(%(thread_id)s, %(ns)s, %(bc{i})s, %(bv{i})s, %(bt{i})s, %(bb{i})s)" for i in range(rows)
    )
    # Only placeholders are generated; every value is a bound parameter.
    columns = "(thread_id, checkpoint_ns, channel, version, type, blob)"
    conflict = "ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING"
    return f"blobs AS (INSERT INTO langgraph_checkpoint_blobs {columns} VALUES {values} {conflict})"  # noqa: S608


CHECKPOINT_CTE = """
ckpt AS (
    INSERT INTO langgraph_checkpoints
        (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
    VALUES (%(thread_id)s, %(ns)s, %(checkpoint_id)s, %(parent_id)s, %(checkpoint)s, %(metadata)s)
    ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
    DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata
)"""

# Only when the thread is a run (the SELECT finds it); `version` is the API's optimistic
# concurrency counter, bumped so an API reader sees the state moved.
STATE_CTE = """
state AS (
    INSERT INTO orchestration_checkpoints (run_id, state, updated_at, version)
    SELECT r.run_id, %(state)s, clock_timestamp(), 1 FROM runs r WHERE r.run_id = %(thread_id)s
    ON CONFLICT (run_id) DO UPDATE
    SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at, version = orchestration_checkpoints.version + 1
)"""

# One primary-key lookup per channel of the checkpoint. `OFFSET 0` keeps the planner from
# flattening the lookup into a hash join, which it prefers because it guesses 100 channels:
# that join reads every blob the thread ever wrote (all versions), on every read.
SELECT_TUPLES = """
SELECT c.thread_id, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.checkpoint, c.metadata,
       bl.channels, bl.types, bl.blobs,
       wr.task_ids, wr.channels, wr.types, wr.blobs, wr.task_paths, wr.idxs
FROM ({inner}) AS c
CROSS JOIN LATERAL (
    SELECT array_agg(b.channel) AS channels, array_agg(b.type) AS types, array_agg(b.blob) AS blobs
    FROM jsonb_each_text(c.checkpoint -> 'channel_versions') AS v
    CROSS JOIN LATERAL (
        SELECT b.channel, b.type, b.blob FROM langgraph_checkpoint_blobs b
        WHERE b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
          AND b.channel = v.key AND b.version = v.value
        OFFSET 0
    ) AS b
) AS bl
CROSS JOIN LATERAL (
    SELECT array_agg(w.task_id) AS task_ids, array_agg(w.channel) AS channels, array_agg(w.type) AS types,
           array_agg(w.blob) AS blobs, array_agg(w.task_path) AS task_paths, array_agg(w.idx) AS idxs
    FROM langgraph_checkpoint_writes w
    WHERE w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id
) AS wr
ORDER BY c.checkpoint_id DESC
"""

SELECT_CHECKPOINTS = (
    "SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata "
    "FROM langgraph_checkpoints"
)

GET_LATEST_SQL = SELECT_TUPLES.format(
    inner=SELECT_CHECKPOINTS
    + " WHERE thread_id = %(thread_id)s AND checkpoint_ns = %(ns)s ORDER BY checkpoint_id DESC LIMIT 1"
)
GET_ONE_SQL = SELECT_TUPLES.format(
    inner=SELECT_CHECKPOINTS
    + " WHERE thread_id = %(thread_id)s AND checkpoint_ns = %(ns)s AND checkpoint_id = %(checkpoint_id)s"
)

# Special writes (errors, interrupts, resumes) replace the previous one of the same task, the
# way PostgresSaver does; ordinary writes are first-wins, so a retried task can't change history.
WRITES_ON_CONFLICT = {
    True: "UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob",
    False: "NOTHING",
}


@functools.cache
def writes_sql(rows: int, upsert: bool) -> str:
    values = ", ".join(
        f"(%(thread_id)s, %(ns)s, %(checkpoint_id)s, %(task_id)s, %(task_path)s, %(wi{i})s, %(wc{i})s, "
        f"%(wt{i})s, %(wb{i})s)"
        for i in range(rows)
    )
    columns = "(thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob)"
    conflict = (
        f"ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO {WRITES_ON_CONFLICT[upsert]}"
    )
    return f"INSERT INTO langgraph_checkpoint_writes {columns} VALUES {values} {conflict}"  # noqa: S608


DELETE_THREADS_SQL = """
WITH w AS (DELETE FROM langgraph_checkpoint_writes WHERE thread_id = ANY(%(threads)s)),
     b AS (DELETE FROM langgraph_checkpoint_blobs WHERE thread_id = ANY(%(threads)s))
DELETE FROM langgraph_checkpoints WHERE thread_id = ANY(%(threads)s)
"""

DELETE_FOR_RUNS_SQL = """
WITH gone AS (
    DELETE FROM langgraph_checkpoints WHERE metadata ->> 'run_id' = ANY(%(run_ids)s)
    RETURNING thread_id, checkpoint_ns, checkpoint_id
), writes AS (
    DELETE FROM langgraph_checkpoint_writes w USING gone g
    WHERE w.thread_id = g.thread_id AND w.checkpoint_ns = g.checkpoint_ns AND w.checkpoint_id = g.checkpoint_id
)
SELECT DISTINCT thread_id FROM gone
"""

# Blobs no checkpoint of the thread references any more. Runs after the deletions committed
# (its own statement), so it sees what is left.
GARBAGE_BLOBS_SQL = """
WITH referenced AS (
    SELECT c.thread_id, c.checkpoint_ns, v.key AS channel, v.value AS version
    FROM langgraph_checkpoints c CROSS JOIN LATERAL jsonb_each_text(c.checkpoint -> 'channel_versions') AS v
    WHERE c.thread_id = ANY(%(threads)s)
)
DELETE FROM langgraph_checkpoint_blobs b
WHERE b.thread_id = ANY(%(threads)s) AND NOT EXISTS (
    SELECT 1 FROM referenced r
    WHERE r.thread_id = b.thread_id AND r.checkpoint_ns = b.checkpoint_ns
      AND r.channel = b.channel AND r.version = b.version
)
"""

COPY_THREAD_SQL = """
WITH ckpts AS (
    INSERT INTO langgraph_checkpoints
        (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
    SELECT %(target)s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata
    FROM langgraph_checkpoints WHERE thread_id = %(source)s
    ON CONFLICT DO NOTHING
), blobs AS (
    INSERT INTO langgraph_checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT %(target)s, checkpoint_ns, channel, version, type, blob
    FROM langgraph_checkpoint_blobs WHERE thread_id = %(source)s
    ON CONFLICT DO NOTHING
)
INSERT INTO langgraph_checkpoint_writes
    (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob)
SELECT %(target)s, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob
FROM langgraph_checkpoint_writes WHERE thread_id = %(source)s
ON CONFLICT DO NOTHING
"""

# A DeltaChannel rebuilds its value from older checkpoints' writes, so keep_latest would lose
# it; like PostgresSaver we refuse such threads (update counters in metadata, or a snapshot: an
# inline `true` marker with a blob behind it).
DELTA_THREADS_SQL = """
SELECT DISTINCT thread_id FROM langgraph_checkpoints
WHERE thread_id = ANY(%(threads)s) AND (metadata ? 'counters_since_delta_snapshot' OR metadata ? 'delta_writes_versioned')
UNION
SELECT c.thread_id
FROM langgraph_checkpoints c
CROSS JOIN LATERAL jsonb_each(c.checkpoint -> 'channel_values') AS v
WHERE c.thread_id = ANY(%(threads)s) AND v.value = 'true'::jsonb AND EXISTS (
    SELECT 1 FROM langgraph_checkpoint_blobs b
    WHERE b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns AND b.channel = v.key
      AND b.version = c.checkpoint -> 'channel_versions' ->> v.key
)
"""

# keep_latest in one statement, on one snapshot: the latest checkpoint of each namespace stays
# (with its pending writes, and as a root: its parent is gone), every older one and its writes
# go. A checkpoint a run saves meanwhile is not in the snapshot, hence untouched.
PRUNE_KEEP_LATEST_SQL = """
WITH heads AS (
    SELECT DISTINCT ON (thread_id, checkpoint_ns) thread_id, checkpoint_ns, checkpoint_id
    FROM langgraph_checkpoints WHERE thread_id = ANY(%(threads)s)
    ORDER BY thread_id, checkpoint_ns, checkpoint_id DESC
), old_checkpoints AS (
    DELETE FROM langgraph_checkpoints c USING heads h
    WHERE c.thread_id = h.thread_id AND c.checkpoint_ns = h.checkpoint_ns AND c.checkpoint_id < h.checkpoint_id
    RETURNING c.thread_id
), old_writes AS (
    DELETE FROM langgraph_checkpoint_writes w USING heads h
    WHERE w.thread_id = h.thread_id AND w.checkpoint_ns = h.checkpoint_ns AND w.checkpoint_id < h.checkpoint_id
), orphaned AS (
    UPDATE langgraph_checkpoints c SET parent_checkpoint_id = NULL FROM heads h
    WHERE c.thread_id = h.thread_id AND c.checkpoint_ns = h.checkpoint_ns AND c.checkpoint_id = h.checkpoint_id
      AND c.parent_checkpoint_id IS NOT NULL
)
SELECT count(*) FROM old_checkpoints
"""


def _inline(value: Any) -> bool:
    """Primitive values PostgreSQL's JSONB stores exactly stay in the checkpoint row."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        # From 1e16 on orjson writes `1e+16`, which JSONB keeps as the integer 10000000000000000.
        return math.isfinite(value) and abs(value) < FLOAT_INLINE_LIMIT
    if isinstance(value, str):
        return "\x00" not in value
    return False


def _jsonb(encoded: bytes) -> Jsonb:
    """Already-encoded JSON as a jsonb parameter, sent as it is (no decode to str and back)."""
    return Jsonb(encoded, dumps=_as_is)


def _as_is(encoded: bytes) -> bytes:
    return encoded


class _Connection:
    """A Django connection of the saver's own (alias ``using``), usable from any thread in turn.

    Not the calling thread's connection: LangGraph saves checkpoints from its own background
    threads (one pool per invocation), which would each open and leak a connection, and a
    checkpoint must not join whatever transaction a graph node happens to have open on its
    thread (a node's rollback would silently drop the checkpoint). Statements are autocommit.
    """

    def __init__(self, using: str, prepare: bool) -> None:
        self.wrapper = connections.create_connection(using)
        self.wrapper.inc_thread_sharing()
        self.prepare = prepare
        self.lock = threading.Lock()
        self._cursor: psycopg.Cursor[Any] | None = None

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        with self.lock:
            wrapper = self.wrapper
            wrapper.ensure_connection()
            raw = wrapper.connection
            if self.prepare:
                # The hot statements opt in one by one (prepare=True), each planned once per
                # connection instead of on every call. Nothing else runs on this connection.
                allow_prepared_statements(raw)
            if self._cursor is None or self._cursor.connection is not raw:
                # One cursor per connection, kept: a new one starts with an empty cache of
                # dumpers and looks each parameter's type up again (~25 µs of a put).
                self._cursor = psycopg.Cursor(raw)
            try:
                with wrapper.wrap_database_errors:
                    yield self._cursor
            except DatabaseError:
                # A broken connection (server restart) is replaced on the next call.
                if not wrapper.is_usable():
                    wrapper.close()
                raise

    def close(self) -> None:
        with self.lock:
            self.wrapper.close()


class DjangoCheckpointSaver(BaseCheckpointSaver[str]):
    """LangGraph checkpointer on the runs app's tables, using Django's database connection.

    ``DjangoCheckpointSaver()`` works in any configured Django process. ``thread_id`` is our
    ``run_id``; threads that are not runs (scripts, the conformance suite) work too, they just
    have no ``orchestration_checkpoints`` row.
    """

    def __init__(
        self,
        *,
        using: str = "default",
        serde: SerializerProtocol | None = None,
        async_workers: int | None = None,
    ) -> None:
        super().__init__(serde=serde)
        self.using = using
        self.async_workers = async_workers or settings.LANGGRAPH_ASYNC_WORKERS
        self.prepare = settings.LANGGRAPH_PREPARED_STATEMENTS
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._shared: _Connection | None = None
        self._local = threading.local()
        self._worker_connections: list[_Connection] = []
        self._state_encoder = readable.StateEncoder()

    # --- plumbing -------------------------------------------------------------------------------

    def _connection(self) -> _Connection:
        """The calling async worker's own connection, else the saver's shared one."""
        own = getattr(self._local, "connection", None)
        if own is not None:
            return own
        with self._executor_lock:
            if self._shared is None:
                self._shared = _Connection(self.using, self.prepare)
            return self._shared

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        with self._connection().cursor() as cursor:
            yield cursor

    def _execute(self, sql: str, params: dict[str, Any], *, hot: bool = True) -> list[tuple[Any, ...]]:
        with self._cursor() as cursor:
            return self._run_statement(cursor, sql, params, hot=hot)

    def _run_statement(
        self, cursor: psycopg.Cursor[Any], sql: str, params: dict[str, Any], *, hot: bool = True
    ) -> list[tuple[Any, ...]]:
        # Hot statements are prepared (generic plan) on first use per connection; maintenance
        # ones (prune, deletes, copies) are planned for their actual arrays each time.
        cursor.execute(sql, params, prepare=(self.prepare and hot) or None, binary=True)
        return cursor.fetchall() if cursor.description else []

    # --- reads ----------------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint named by ``config`` (the latest of the thread without checkpoint_id)."""
        configurable = config["configurable"]
        params = {
            "thread_id": str(configurable["thread_id"]),
            "ns": configurable.get("checkpoint_ns", ""),
            "checkpoint_id": get_checkpoint_id(config),
        }
        rows = self._execute(GET_ONE_SQL if params["checkpoint_id"] else GET_LATEST_SQL, params)
        return self._tuple(rows[0]) if rows else None

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,  # noqa: A002 - LangGraph's signature
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints matching ``config``/``filter``/``before``, newest first."""
        wheres: list[str] = []
        params: dict[str, Any] = {}
        if config:
            configurable = config["configurable"]
            wheres.append("thread_id = %(thread_id)s")
            params["thread_id"] = str(configurable["thread_id"])
            if configurable.get("checkpoint_ns") is not None:
                wheres.append("checkpoint_ns = %(ns)s")
                params["ns"] = configurable["checkpoint_ns"]
            if checkpoint_id := get_checkpoint_id(config):
                wheres.append("checkpoint_id = %(checkpoint_id)s")
                params["checkpoint_id"] = checkpoint_id
        if filter:
            wheres.append("metadata @> %(filter)s::jsonb")
            params["filter"] = orjson.dumps(filter).decode()
        if before is not None:
            wheres.append("checkpoint_id < %(before)s")
            params["before"] = get_checkpoint_id(before)
        # Only fixed fragments are concatenated; every value is a bound parameter.
        inner = SELECT_CHECKPOINTS
        if wheres:
            inner += " WHERE " + " AND ".join(wheres)
        inner += " ORDER BY checkpoint_id DESC"
        if limit is not None:
            inner += " LIMIT %(limit)s"
            params["limit"] = int(limit)
        for row in self._execute(SELECT_TUPLES.format(inner=inner), params):
            yield self._tuple(row)

    def _tuple(self, row: tuple[Any, ...]) -> CheckpointTuple:
        (thread_id, ns, checkpoint_id, parent_id, checkpoint, metadata, *blob_cols) = row[:9]
        b_channels, b_types, b_blobs = blob_cols
        channel_values = checkpoint.get("channel_values") or {}
        if b_channels:
            # A blob wins over the inline `true` marker a DeltaChannel snapshot leaves.
            channel_values = dict(channel_values)
            loads = self.serde.loads_typed
            for channel, type_, blob in zip(b_channels, b_types, b_blobs, strict=True):
                if type_ != "empty":
                    channel_values[channel] = loads(compression.unpack(type_, blob))
        checkpoint["channel_values"] = channel_values
        return CheckpointTuple(
            config={
                "configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}
            },
            checkpoint=checkpoint,
            metadata=metadata,
            parent_config=(
                {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": parent_id}}
                if parent_id
                else None
            ),
            pending_writes=self._writes(row[9:]),
        )

    def _writes(self, columns: Sequence[Any]) -> builtins.list[tuple[str, str, Any]]:
        task_ids, channels, types, blobs, task_paths, idxs = columns
        if not task_ids:
            return []
        rows = sorted(
            zip(task_ids, channels, types, blobs, task_paths, idxs, strict=True),
            key=lambda w: writes_sort_key(w[4], w[0], w[5]),
        )
        loads = self.serde.loads_typed
        return [
            (task_id, channel, loads(compression.unpack(type_, blob)))
            for task_id, channel, type_, blob, _, _ in rows
        ]

    # --- writes ---------------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint (and, for a run's root graph, its readable state) in one statement."""
        configurable = config["configurable"]
        thread_id = str(configurable["thread_id"])
        ns = configurable.get("checkpoint_ns", "")
        stored = checkpoint.copy()
        inline: dict[str, Any] = {}
        blobs: dict[str, Any] = {}
        for channel, value in checkpoint["channel_values"].items():
            if isinstance(value, _DeltaSnapshot):
                blobs[channel], inline[channel] = value, True
            elif _inline(value):
                inline[channel] = value
            else:
                blobs[channel] = value
        stored["channel_values"] = inline
        params: dict[str, Any] = {
            "thread_id": thread_id,
            "ns": ns,
            "checkpoint_id": checkpoint["id"],
            "parent_id": configurable.get("checkpoint_id"),
            "checkpoint": _jsonb(orjson.dumps(stored)),
            "metadata": _jsonb(orjson.dumps(get_serializable_checkpoint_metadata(config, metadata))),
        }
        ctes = [CHECKPOINT_CTE]
        if blob_versions := {k: v for k, v in new_versions.items() if k in blobs}:
            ctes.append(blobs_cte(len(blob_versions)))
            self._blob_params(params, blobs, blob_versions)
        if ns == "":
            ctes.append(STATE_CTE)
            params["state"] = self._readable_state(thread_id, checkpoint)
        self._execute("WITH " + ",".join(ctes) + " SELECT 1", params)
        return {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint["id"]}
        }

    def _blob_params(self, params: dict[str, Any], values: dict[str, Any], versions: ChannelVersions) -> None:
        dumps = self.serde.dumps_typed
        for i, (channel, version) in enumerate(versions.items()):
            params[f"bc{i}"], params[f"bv{i}"] = channel, str(version)
            params[f"bt{i}"], params[f"bb{i}"] = compression.pack(*dumps(values[channel]))

    def _readable_state(self, thread_id: str, checkpoint: Checkpoint) -> Jsonb:
        values = {
            channel: value.value if isinstance(value, _DeltaSnapshot) else value
            for channel, value in checkpoint["channel_values"].items()
        }
        return _jsonb(self._state_encoder.encode(thread_id, values, checkpoint["channel_versions"]))

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's pending writes against the checkpoint in ``config``."""
        if not writes:
            return
        configurable = config["configurable"]
        params: dict[str, Any] = {
            "thread_id": str(configurable["thread_id"]),
            "ns": configurable.get("checkpoint_ns", ""),
            "checkpoint_id": configurable["checkpoint_id"],
            "task_id": task_id,
            "task_path": task_path,
        }
        dumps = self.serde.dumps_typed
        for i, (channel, value) in enumerate(writes):
            params[f"wi{i}"], params[f"wc{i}"] = WRITES_IDX_MAP.get(channel, i), channel
            params[f"wt{i}"], params[f"wb{i}"] = compression.pack(*dumps(value))
        upsert = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        self._execute(writes_sql(len(writes), upsert), params)

    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, blob and write of a thread."""
        self._execute(DELETE_THREADS_SQL, {"threads": [str(thread_id)]}, hot=False)

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) LangGraph runs ``run_ids`` created.

        These are LangGraph's run ids (``metadata.run_id``), not our runs: deleting one of our
        runs deletes its whole thread (trigger on ``runs``).
        """
        run_ids = [str(r) for r in run_ids]
        if not run_ids:
            return
        with self._cursor() as cursor, cursor.connection.transaction():
            rows = self._run_statement(cursor, DELETE_FOR_RUNS_SQL, {"run_ids": run_ids}, hot=False)
            if rows:
                self._run_statement(cursor, GARBAGE_BLOBS_SQL, {"threads": [r[0] for r in rows]}, hot=False)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, blob and write of one thread to another (existing rows kept)."""
        self._execute(
            COPY_THREAD_SQL, {"source": str(source_thread_id), "target": str(target_thread_id)}, hot=False
        )

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """``keep_latest``: only each namespace's latest checkpoint stays; ``delete``: all go.

        ``keep_latest`` refuses (NotImplementedError, nothing pruned) threads that use a
        DeltaChannel, whose latest value is rebuilt from older checkpoints' writes.
        """
        if isinstance(thread_ids, str):
            raise TypeError("thread_ids must be a sequence of thread ids, not a str")
        if strategy not in PRUNE_STRATEGIES:
            raise ValueError(f"Unknown prune strategy: {strategy!r}")
        threads = [str(t) for t in thread_ids]
        if not threads:
            return
        if strategy == "delete":
            self._execute(DELETE_THREADS_SQL, {"threads": threads}, hot=False)
            return
        if delta := sorted(r[0] for r in self._execute(DELTA_THREADS_SQL, {"threads": threads}, hot=False)):
            raise NotImplementedError(
                f"keep_latest can't prune threads that use a DeltaChannel: {', '.join(delta)}"
            )
        for start in range(0, len(threads), PRUNE_BATCH):
            batch = threads[start : start + PRUNE_BATCH]
            with self._cursor() as cursor, cursor.connection.transaction():
                self._run_statement(cursor, PRUNE_KEEP_LATEST_SQL, {"threads": batch}, hot=False)
                self._run_statement(cursor, GARBAGE_BLOBS_SQL, {"threads": batch}, hot=False)

    def get_next_version(self, current: str | None, channel: None) -> str:
        """``<32-digit counter>.<random>``, PostgresSaver's format: ordered, unique per write."""
        if current is None:
            current_v = 0
        elif isinstance(current, int):
            current_v = current
        else:
            current_v = int(current.split(".")[0])
        return f"{current_v + 1:032}.{random.random():016}"  # noqa: S311 - uniqueness, not secrecy

    # --- async ----------------------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), functools.partial(fn, *args, **kwargs))

    def _pool(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.async_workers, thread_name_prefix="langgraph-saver", initializer=self._start_worker
                )
            return self._executor

    def _start_worker(self) -> None:
        # Each worker thread keeps one connection: async callers run in parallel, not in turn.
        self._local.connection = _Connection(self.using, self.prepare)
        with self._executor_lock:
            self._worker_connections.append(self._local.connection)

    def close(self) -> None:
        """Close the saver's database connections and stop its async worker threads."""
        with self._executor_lock:
            executor, self._executor = self._executor, None
            shared, self._shared = self._shared, None
            workers, self._worker_connections = self._worker_connections, []
        if executor is not None:
            executor.shutdown(wait=True)
        for conn in [*workers, *([shared] if shared else [])]:
            conn.close()

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._run(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,  # noqa: A002
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        tuples = await self._run(lambda: list(self.list(config, filter=filter, before=before, limit=limit)))
        for item in tuples:
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await self._run(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._run(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await self._run(self.delete_thread, thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await self._run(self.delete_for_runs, run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self._run(self.copy_thread, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self._run(self.prune, thread_ids, strategy=strategy)
