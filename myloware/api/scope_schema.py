"""OpenAPI: every operation names the API key scope it needs (see myloware.api.scopes), the 403
a key without it gets, and the X-API-Key header it is sent in."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from myloware.api.scopes import ANY_KEY, required_scope


# The key as a header parameter too, not only as the security scheme: client generators turn a
# parameter into an argument (openapi-python-client: ``x_api_key=``), and ignore apiKey schemes
# (their clients send ``Authorization``). Optional, so a client that sets the header once for
# every request (docs/clients.md) need not repeat it; without it the answer is 401.
def _api_key_parameter() -> dict[str, Any]:
    return {
        "in": "header",
        "name": "X-API-Key",
        "required": False,
        "description": "The API key (the ApiKeyAuth scheme); 401 when missing, unknown or revoked",
        "schema": {"type": "string"},
    }


def _missing_scope(scope: str) -> dict[str, Any]:
    return {
        "description": (
            f"The API key lacks the scope `{scope}` (code `missing_scope`; details.required_scope "
            "names it, details.granted_scopes lists the key's)"
        ),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


class ScopedAutoSchema(AutoSchema):
    """Writes each operation's scope into its description, ``x-required-scope`` and its 403."""

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        scope = required_scope(self.view, self.method)
        if operation is None or scope is None or not operation.get("security"):
            return operation
        operation.setdefault("parameters", []).append(_api_key_parameter())
        note = "Any valid API key." if scope == ANY_KEY else f"Requires the API key scope `{scope}`."
        operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
        operation["x-required-scope"] = scope
        if scope == ANY_KEY:
            return operation
        own = operation["responses"].get("403")
        refused = _missing_scope(scope)
        if own is not None:  # the operation refuses for reasons of its own too (a self-approval)
            refused["description"] = f"{own['description']}. Or: {refused['description']}"
        operation["responses"]["403"] = refused
        return operation
