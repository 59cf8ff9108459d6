from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.run_status_enum import RunStatusEnum

if TYPE_CHECKING:
    from ..models.gate import Gate
    from ..models.json_object import JsonObject
    from ..models.transition import Transition


T = TypeVar("T", bound="Run")


@_attrs_define
class Run:
    """
    Attributes:
        run_id (str):
        project (str):
        status (RunStatusEnum): * `pending_workflow` - Pending workflow approval
            * `pending` - Pending
            * `running` - Running
            * `awaiting_approval` - Awaiting approval
            * `published` - Published
            * `failed` - Failed
            * `rejected` - Rejected
            * `cancelled` - Cancelled
        payload (JsonObject): Any JSON object. No text inside it, key or value at any depth, may contain NUL (\\u0000),
            and it nests at most API_JSON_MAX_DEPTH levels (422 otherwise).
        result (JsonObject | None):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        held (bool):
        allowed_next (list[RunStatusEnum]): The statuses the run may move to from its current one
        open_gate (Gate | None):
        artifact_count (int):
        transitions (list[Transition]):
    """

    run_id: str
    project: str
    status: RunStatusEnum
    payload: JsonObject
    result: JsonObject | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    held: bool
    allowed_next: list[RunStatusEnum]
    open_gate: Gate | None
    artifact_count: int
    transitions: list[Transition]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.gate import Gate  # noqa: PLC0415
        from ..models.json_object import JsonObject  # noqa: PLC0415

        run_id = self.run_id

        project = self.project

        status = self.status.value

        payload = self.payload.to_dict()

        result: dict[str, Any] | None
        if isinstance(self.result, JsonObject):
            result = self.result.to_dict()
        else:
            result = self.result

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        held = self.held

        allowed_next = []
        for allowed_next_item_data in self.allowed_next:
            allowed_next_item = allowed_next_item_data.value
            allowed_next.append(allowed_next_item)

        open_gate: dict[str, Any] | None
        if isinstance(self.open_gate, Gate):
            open_gate = self.open_gate.to_dict()
        else:
            open_gate = self.open_gate

        artifact_count = self.artifact_count

        transitions = []
        for transitions_item_data in self.transitions:
            transitions_item = transitions_item_data.to_dict()
            transitions.append(transitions_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "run_id": run_id,
                "project": project,
                "status": status,
                "payload": payload,
                "result": result,
                "created_at": created_at,
                "updated_at": updated_at,
                "held": held,
                "allowed_next": allowed_next,
                "open_gate": open_gate,
                "artifact_count": artifact_count,
                "transitions": transitions,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.gate import Gate  # noqa: PLC0415
        from ..models.json_object import JsonObject  # noqa: PLC0415
        from ..models.transition import Transition  # noqa: PLC0415

        d = dict(src_dict)
        run_id = d.pop("run_id")

        project = d.pop("project")

        status = RunStatusEnum(d.pop("status"))

        payload = JsonObject.from_dict(d.pop("payload"))

        def _parse_result(data: object) -> JsonObject | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = JsonObject.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None, data)

        result = _parse_result(d.pop("result"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        held = d.pop("held")

        allowed_next = []
        _allowed_next = d.pop("allowed_next")
        for allowed_next_item_data in _allowed_next:
            allowed_next_item = RunStatusEnum(allowed_next_item_data)

            allowed_next.append(allowed_next_item)

        def _parse_open_gate(data: object) -> Gate | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                open_gate_type_0 = Gate.from_dict(data)

                return open_gate_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Gate | None, data)

        open_gate = _parse_open_gate(d.pop("open_gate"))

        artifact_count = d.pop("artifact_count")

        transitions = []
        _transitions = d.pop("transitions")
        for transitions_item_data in _transitions:
            transitions_item = Transition.from_dict(transitions_item_data)

            transitions.append(transitions_item)

        run = cls(
            run_id=run_id,
            project=project,
            status=status,
            payload=payload,
            result=result,
            created_at=created_at,
            updated_at=updated_at,
            held=held,
            allowed_next=allowed_next,
            open_gate=open_gate,
            artifact_count=artifact_count,
            transitions=transitions,
        )

        run.additional_properties = d
        return run

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
