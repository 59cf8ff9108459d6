"""OpenAPI: every operation names the API key scope it needs (see myloware.api.scopes)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from myloware.api.scopes import ANY_KEY, required_scope


class ScopedAutoSchema(AutoSchema):
    """Writes each operation's scope into its description and ``x-required-scope``."""

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        scope = required_scope(self.view, self.method)
        if operation is None or scope is None or not operation.get("security"):
            return operation
        note = "Any valid API key." if scope == ANY_KEY else f"Requires the API key scope `{scope}`."
        description = operation.get("description", "")
        operation["description"] = f"{description}\n\n{note}".strip()
        operation["x-required-scope"] = scope
        return operation
