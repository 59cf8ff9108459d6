from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.gate_decision_enum import GateDecisionEnum

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="Decision")


@_attrs_define
class Decision:
    """
    Attributes:
        id (int):
        gate (str):
        decision (GateDecisionEnum): * `approve` - Approve
            * `reject` - Reject
        approver (None | str):
        approver_ip (None | str):
        comment (str):
        metadata (JsonObject): Any JSON object. No text inside it, key or value at any depth, may contain NUL (\\u0000),
            and it nests at most API_JSON_MAX_DEPTH levels (422 otherwise).
        created_at (datetime.datetime):
    """

    id: int
    gate: str
    decision: GateDecisionEnum
    approver: None | str
    approver_ip: None | str
    comment: str
    metadata: JsonObject
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        gate = self.gate

        decision = self.decision.value

        approver: None | str
        approver = self.approver

        approver_ip: None | str
        approver_ip = self.approver_ip

        comment = self.comment

        metadata = self.metadata.to_dict()

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "gate": gate,
                "decision": decision,
                "approver": approver,
                "approver_ip": approver_ip,
                "comment": comment,
                "metadata": metadata,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        gate = d.pop("gate")

        decision = GateDecisionEnum(d.pop("decision"))

        def _parse_approver(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        approver = _parse_approver(d.pop("approver"))

        def _parse_approver_ip(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        approver_ip = _parse_approver_ip(d.pop("approver_ip"))

        comment = d.pop("comment")

        metadata = JsonObject.from_dict(d.pop("metadata"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        decision = cls(
            id=id,
            gate=gate,
            decision=decision,
            approver=approver,
            approver_ip=approver_ip,
            comment=comment,
            metadata=metadata,
            created_at=created_at,
        )

        decision.additional_properties = d
        return decision

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
