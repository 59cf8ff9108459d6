from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="CheckpointPutRequest")


@_attrs_define
class CheckpointPutRequest:
    """
    Attributes:
        state (JsonObject): Any JSON object. No text inside it, key or value at any depth, may contain NUL (\\u0000),
            and it nests at most API_JSON_MAX_DEPTH levels (422 otherwise).
    """

    state: JsonObject

    def to_dict(self) -> dict[str, Any]:
        state = self.state.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "state": state,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        state = JsonObject.from_dict(d.pop("state"))

        checkpoint_put_request = cls(
            state=state,
        )

        return checkpoint_put_request
