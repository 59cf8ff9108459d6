from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.run_create_status_enum import RunCreateStatusEnum
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="RunCreateRequest")


@_attrs_define
class RunCreateRequest:
    """
    Attributes:
        project (str):
        run_id (str | Unset):
        payload (JsonObject | Unset): Any JSON object. No text inside it, key or value at any depth, may contain NUL
            (\\u0000), and it nests at most API_JSON_MAX_DEPTH levels (422 otherwise).
        status (RunCreateStatusEnum | Unset): * `pending` - pending
            * `pending_workflow` - pending_workflow Default: RunCreateStatusEnum.PENDING.
    """

    project: str
    run_id: str | Unset = UNSET
    payload: JsonObject | Unset = UNSET
    status: RunCreateStatusEnum | Unset = RunCreateStatusEnum.PENDING

    def to_dict(self) -> dict[str, Any]:
        project = self.project

        run_id = self.run_id

        payload: dict[str, Any] | Unset = UNSET
        if not isinstance(self.payload, Unset):
            payload = self.payload.to_dict()

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "project": project,
            }
        )
        if run_id is not UNSET:
            field_dict["run_id"] = run_id
        if payload is not UNSET:
            field_dict["payload"] = payload
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        project = d.pop("project")

        run_id = d.pop("run_id", UNSET)

        _payload = d.pop("payload", UNSET)
        payload: JsonObject | Unset
        if isinstance(_payload, Unset):
            payload = UNSET
        else:
            payload = JsonObject.from_dict(_payload)

        _status = d.pop("status", UNSET)
        status: RunCreateStatusEnum | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = RunCreateStatusEnum(_status)

        run_create_request = cls(
            project=project,
            run_id=run_id,
            payload=payload,
            status=status,
        )

        return run_create_request
