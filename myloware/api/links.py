"""OpenAPI links: which answer feeds which operation (a generated client, Schemathesis's stateful
phase). Creating a run leads to its gates, artifacts, checkpoint and publications; opening a gate
to its decision; saving a checkpoint to the next save with its ETag as If-Match.
"""

from __future__ import annotations

from typing import Any

_RUN = {"path.run_id": "$response.body#/run_id"}
_RUN_OPERATIONS = (
    "runs_retrieve",
    "runs_patch",
    "runs_transition",
    "runs_timeline",
    "runs_checkpoint_put",
    "runs_gates_list",
    "runs_gates_open",
    "runs_artifacts_list",
    "runs_artifacts_create",
    "runs_publish",
    "runs_publications_list",
)
_SOCIAL = {"path.social_id": "$response.body#/id"}
_DOCUMENT = {"path.doc_id": "$response.body#/documents/0/id"}

# operationId of the source -> (statuses whose body feeds the link, {link name: (target, parameters)})
LINKS: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, dict[str, str]]]]] = {
    "runs_create": (("201", "200"), {op: (op, _RUN) for op in _RUN_OPERATIONS}),
    "runs_transition": (("200",), {op: (op, _RUN) for op in ("runs_gates_open", "runs_publish")}),
    "runs_gates_open": (
        ("201", "200"),
        {
            "runs_gates_decide": (
                "runs_gates_decide",
                {"path.run_id": "$response.body#/run_id", "path.gate": "$response.body#/gate"},
            ),
            "runs_gates_list": ("runs_gates_list", _RUN),
        },
    ),
    "runs_checkpoint_put": (
        ("201", "200"),
        {
            "runs_checkpoint_get": ("runs_checkpoint_get", _RUN),
            "runs_checkpoint_put": (
                "runs_checkpoint_put",
                {**_RUN, "header.If-Match": "$response.header.ETag"},
            ),
        },
    ),
    "runs_artifacts_create": (("201", "200"), {"runs_artifacts_list": ("runs_artifacts_list", _RUN)}),
    "socials_create": (
        ("201",),
        {op: (op, _SOCIAL) for op in ("socials_retrieve", "socials_update", "socials_delete")},
    ),
    "kb_documents_upsert": (
        ("201", "200"),
        {op: (op, _DOCUMENT) for op in ("kb_documents_retrieve", "kb_documents_delete")},
    ),
    "runs_publish": (
        ("202", "200"),
        {
            "publications_retrieve": (
                "publications_retrieve",
                {"path.publication_id": "$response.body#/publication/id"},
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
            response = operations[source]["responses"][status]
            response["links"] = {
                name: {"operationId": target, "parameters": parameters}
                for name, (target, parameters) in links.items()
                if target in operations
            }
    return result
