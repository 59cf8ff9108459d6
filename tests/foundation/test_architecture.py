"""The apps follow docs/architecture.md: every import goes down the layers, except the documented
hand-offs listed here (each with its reason); only services write tables, except the documented
writers listed here; one-off jobs take primary keys.

The graph is computed from the source (AST): every import statement of every module under the
apps, at module level or inside a function (a lazy import cannot hide a cycle); imports under
``if TYPE_CHECKING:`` are not dependencies at run time and migrations are left out (they depend on
each other through Django's migration graph and import only migration helpers).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

# (importing module, imported node) -> the modules it imports there
Edges = dict[tuple[str, str], set[str]]

ROOT = Path(__file__).resolve().parents[2]
APPS = ("myloware", "runs", "artifacts", "webhooks", "knowledge", "socials")

# Top to bottom: a module may import from its own layer's node and from any node below it.
# "myloware" is the project: settings, URLs, console, dashboard, health, the dev server and the
# demo pipeline; it may depend on every app.
LAYERS: tuple[str, ...] = (
    "myloware",
    "webhooks",
    "socials",
    "knowledge",
    "artifacts",
    "runs",
    "myloware.api",
    "myloware.workers",
    "myloware.admin_utils",
    "myloware.lib",
)
_LIBRARIES = {"lib", "api", "workers", "admin_utils"}

# Imports that go up the layers on purpose: (importing module, imported node) -> why.
HAND_OFFS: dict[tuple[str, str], str] = {
    ("runs.selectors", "artifacts"): "a gate's content hash and the run's story read the run's artifacts",
    ("runs.selectors", "webhooks"): "the run's story shows the webhook events that name the run",
    ("runs.services", "artifacts"): "a gate opens over artifacts of its run (their ids are checked)",
    ("runs.admin", "artifacts"): "the decision page shows the artifacts under review",
    (
        "runs.templatetags.runs_admin",
        "myloware",
    ): "the admin index loads the console's charts from this tag library",
    ("runs.templatetags.runs_admin", "artifacts"): "artifacts are shown by their type (ArtifactType)",
    ("artifacts.services", "knowledge"): "citations are checked against the knowledge base's paths",
    ("myloware.api.links", "runs"): "the OpenAPI links name the run statuses and gates they start from",
}


def node_of(module: str) -> str:
    """The graph node of a module: its app, or for myloware a library package or the project."""
    parts = module.split(".")
    if parts[0] == "myloware":
        return f"myloware.{parts[1]}" if len(parts) > 1 and parts[1] in _LIBRARIES else "myloware"
    return parts[0]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _runtime_imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    found: set[str] = set()
    type_checking_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_checking_only |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in type_checking_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against this module's package
                package = module.split(".")[: len(module.split(".")) - node.level + is_package]
                found.add(".".join([*package, *([node.module] if node.module else [])]))
            elif node.module:
                found.add(node.module)
    return found


@pytest.fixture(scope="module")
def edges() -> Edges:
    """The imports across nodes (parsing every module is the slow part: once for the tests that
    read the graph)."""
    found: Edges = defaultdict(set)
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = _module_name(path)
            tree = ast.parse(path.read_text(), filename=str(path))
            for imported in _runtime_imports(tree, module, path.name == "__init__.py"):
                if imported.split(".")[0] in APPS and node_of(imported) != node_of(module):
                    found[(module, node_of(imported))].add(imported)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _node_graph(edges: Edges, allowed: dict[tuple[str, str], str]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, target in edges:
        if (module, target) not in allowed:
            graph[node_of(module)].add(target)
    return graph


def test_the_graph_of_the_apps_has_no_cycle_besides_the_hand_offs(
    edges: Edges,
) -> None:
    cycles = _cycles(_node_graph(edges, HAND_OFFS))
    assert cycles == [], f"import cycles between apps (docs/architecture.md): {cycles}"


def test_every_import_goes_down_the_layers_or_is_a_documented_hand_off(
    edges: Edges,
) -> None:
    allowed = HAND_OFFS
    upward = sorted(
        f"{module} imports {', '.join(sorted(imported))} ({node_of(module)} -> {target})"
        for (module, target), imported in edges.items()
        if LAYERS.index(node_of(module)) > LAYERS.index(target) and (module, target) not in allowed
    )
    assert upward == [], "imports against the layers of docs/architecture.md:\n" + "\n".join(upward)


def test_every_hand_off_is_still_needed(edges: Edges) -> None:
    stale = sorted(f"{module} -> {target}" for module, target in HAND_OFFS if (module, target) not in edges)
    assert stale == [], f"hand-offs that no import needs any more (remove them here and in the doc): {stale}"


def test_runs_imports_neither_socials_nor_knowledge(edges: Edges) -> None:
    # The demo pipeline is an app of its own (myloware/demo); the runs pages show publishing
    # through socials' own template tags.
    assert sorted((m, t) for m, t in edges if node_of(m) == "runs" and t in ("socials", "knowledge")) == []


def test_the_graph_sees_module_level_and_lazy_imports_and_finds_a_cycle() -> None:
    # The checker itself: a lazy import upward is an edge, a TYPE_CHECKING one is not, and an
    # edge back up the layers closes a cycle that the cycle finder reports.
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from runs.models import Run\n"
        "if TYPE_CHECKING:\n    from socials.models import Social\n"
        "def f():\n    from webhooks.models import WebhookEvent\n"
    )
    assert _runtime_imports(tree, "knowledge.services", False) == {"typing", "runs.models", "webhooks.models"}
    assert _cycles({"runs": {"artifacts"}, "artifacts": {"runs"}, "knowledge": {"runs"}}) == [
        ["artifacts", "runs"]
    ]
    assert _cycles({"artifacts": {"runs"}, "knowledge": {"runs", "artifacts"}}) == []


# Modules that write tables without being a services.py: (module) -> why.
WRITERS: dict[str, str] = {
    "runs.langgraph.saver": "LangGraph's BaseCheckpointSaver interface: the orchestrator's graphs write "
    "their checkpoints, blobs, pending writes and the run's readable state through it",
    "myloware.api.operators": "Django's auth tables: the operators group and the first superuser",
    "myloware.api.second_factor": "django-otp's device table: enrolling an operator's second factor",
    "myloware.api.management.commands.setup_schedules": "django-q2's schedule table, from SCHEDULES",
}
_ORM_WRITES = {
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
}
_SQL_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|TRUNCATE)\b", re.IGNORECASE)


def writes_in(tree: ast.AST) -> list[int]:
    """Lines that write tables: a manager's write (``X.objects….update(…)``), any ``.save()``, or a
    string (not a docstring) holding an SQL write statement."""
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, receiver = node.func.attr, ast.unparse(node.func.value)
            if attr == "save" or (attr in _ORM_WRITES and ".objects" in f".{receiver}"):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _SQL_WRITE.search(node.value)
        ):
            lines.append(node.lineno)
    return lines


def writers() -> dict[str, list[int]]:
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path.name == "services.py":
                continue
            lines = writes_in(ast.parse(path.read_text(), filename=str(path)))
            if lines:
                found[_module_name(path)] = lines
    return found


def test_only_services_and_the_documented_writers_write_tables() -> None:
    found = writers()
    undocumented = sorted(
        f"{module}: lines {lines}" for module, lines in found.items() if module not in WRITERS
    )
    assert undocumented == [], "writes outside services.py (docs/architecture.md):\n" + "\n".join(
        undocumented
    )
    stale = sorted(set(WRITERS) - set(found))
    assert stale == [], f"documented writers that write nothing any more: {stale}"


def test_the_write_finder_sees_orm_and_sql_writes() -> None:
    tree = ast.parse(
        '"""DELETE FROM runs by hand cascades."""\n'
        "Run.objects.filter(pk=1).update(status='x')\n"
        "run.save()\n"
        "cursor.execute('UPDATE runs SET status = %s', ['x'])\n"
        "Run.objects.filter(pk=1).exists()\n"
        "headers.update(x)\n"
    )
    assert writes_in(tree) == [2, 3, 4]


def test_one_off_jobs_take_primary_keys() -> None:
    """A job's arguments are pickled into the queue: it gets keys and reads the rows itself."""
    keys = {"int", "str", "list[str]", "list[int]"}
    wrong = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("tasks.py")):
            if path.parent.name == "lib":
                continue  # myloware/lib/tasks.py queues jobs; it is not one
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                    types = [ast.unparse(a.annotation) if a.annotation else "?" for a in node.args.args]
                    if any(t not in keys for t in types):
                        wrong.append(f"{_module_name(path)}.{node.name}({', '.join(types)})")
    assert wrong == [], f"jobs that take more than primary keys: {wrong}"
