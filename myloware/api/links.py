"""OpenAPI links: which answer feeds which operation (a generated client, Schemathesis's stateful
phase). A created run leads to its checkpoint, gates, artifacts and transitions (starting it, or
opening its workflow gate when it was created ``pending_workflow``); a started run to its ideate
gate; an opened gate to its decision; a saved checkpoint to the next save with its ETag.
"""

from __future__ import annotations

from typing import Any

from runs.models import Gate, RunStatus

_RUN = {"path.run_id": "$response.body#/run_id"}


def _to(operation: str, parameters: dict[str, str] = _RUN, body: Any = None) -> dict[str, Any]:
    link: dict[str, Any] = {"operationId": operation, "parameters": parameters}
    if body is not None:
        link["requestBody"] = body  # merged into the body the client (or Schemathesis) sends
    return link


_RUN_READS = {
    op: _to(op)
    for op in (
        "runs_retrieve",
        "runs_patch",
        "runs_timeline",
        "runs_gates_list",
        "runs_artifacts_list",
        "runs_artifacts_create",
        "runs_publications_list",
    )
}
_SOCIAL = {"path.social_id": "$response.body#/id"}
_DOCUMENT = {"path.doc_id": "$response.body#/documents/0/id"}

# operationId of the source -> (statuses whose answer feeds the links, {link name: link})
LINKS: dict[str, tuple[tuple[str, ...], dict[str, dict[str, Any]]]] = {
    "runs_create": (
        ("201", "200"),
        {
            **_RUN_READS,
            "start": _to("runs_transition", body={"to": RunStatus.RUNNING.value}),
            "transition": _to("runs_transition"),
            # artifact_ids null: under review are all artifacts of the run (drawn ids would be 404s).
            "open_workflow_gate": _to(
                "runs_gates_open", body={"gate": Gate.WORKFLOW.value, "artifact_ids": None}
            ),
            "open_gate": _to("runs_gates_open"),
            # A run reads as checkpoint version 0 until its first save.
            "save_first_checkpoint": _to("runs_checkpoint_put", {**_RUN, "header.If-Match": '"0"'}),
        },
    ),
    "runs_transition": (
        ("200",),
        {
            "open_ideate_gate": _to(
                "runs_gates_open", body={"gate": Gate.IDEATE.value, "artifact_ids": None}
            ),
            "publish": _to("runs_publish"),
        },
    ),
    "runs_gates_open": (
        ("201", "200"),
        {
            "decide": _to(
                "runs_gates_decide",
                {"path.run_id": "$response.body#/run_id", "path.gate": "$response.body#/gate"},
            ),
            "gates": _to("runs_gates_list"),
        },
    ),
    "runs_checkpoint_put": (
        ("201", "200"),
        {
            "read": _to("runs_checkpoint_get"),
            "save_next": _to("runs_checkpoint_put", {**_RUN, "header.If-Match": "$response.header.ETag"}),
        },
    ),
    "runs_artifacts_create": (("201", "200"), {"artifacts": _to("runs_artifacts_list")}),
    "socials_create": (
        ("201",),
        {op: _to(op, _SOCIAL) for op in ("socials_retrieve", "socials_update", "socials_delete")},
    ),
    "kb_documents_upsert": (
        ("201", "200"),
        {op: _to(op, _DOCUMENT) for op in ("kb_documents_retrieve", "kb_documents_delete")},
    ),
    "runs_publish": (
        ("202", "200"),
        {
            "publication": _to(
                "publications_retrieve", {"path.publication_id": "$response.body#/publication/id"}
            )
        },
    ),
}


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: write LINKS into the responses they start from."""
    operations = {
        operation["operationId"]: operation
        for item in result.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for source, (statuses, links) in LINKS.items():
        for status in statuses:
            operations[source]["responses"][status]["links"] = {
                name: link for name, link in links.items() if link["operationId"] in operations
            }
    return result
