from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="PatchedRunPatchRequest")


@_attrs_define
class PatchedRunPatchRequest:
    """
    Attributes:
        result (JsonObject | Unset): Any JSON object. No text inside it, key or value at any depth, may contain NUL
            (\\u0000), and it nests at most API_JSON_MAX_DEPTH levels (422 otherwise).
        payload (JsonObject | Unset): Any JSON object. No text inside it, key or value at any depth, may contain NUL
            (\\u0000), and it nests at most API_JSON_MAX_DEPTH levels (422 otherwise).
        held (bool | Unset): Place (true) or release (false) a legal hold: retention never removes a held run
    """

    result: JsonObject | Unset = UNSET
    payload: JsonObject | Unset = UNSET
    held: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] | Unset = UNSET
        if not isinstance(self.result, Unset):
            result = self.result.to_dict()

        payload: dict[str, Any] | Unset = UNSET
        if not isinstance(self.payload, Unset):
            payload = self.payload.to_dict()

        held = self.held

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if result is not UNSET:
            field_dict["result"] = result
        if payload is not UNSET:
            field_dict["payload"] = payload
        if held is not UNSET:
            field_dict["held"] = held

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        _result = d.pop("result", UNSET)
        result: JsonObject | Unset
        if isinstance(_result, Unset):
            result = UNSET
        else:
            result = JsonObject.from_dict(_result)

        _payload = d.pop("payload", UNSET)
        payload: JsonObject | Unset
        if isinstance(_payload, Unset):
            payload = UNSET
        else:
            payload = JsonObject.from_dict(_payload)

        held = d.pop("held", UNSET)

        patched_run_patch_request = cls(
            result=result,
            payload=payload,
            held=held,
        )

        return patched_run_patch_request
