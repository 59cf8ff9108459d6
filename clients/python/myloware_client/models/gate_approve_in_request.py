from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.gate_approve_in_decision_enum import GateApproveInDecisionEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="GateApproveInRequest")


@_attrs_define
class GateApproveInRequest:
    """An approval.

    Attributes:
        decision (GateApproveInDecisionEnum): * `approve` - approve
        comment (str | Unset):  Default: ''.
        idempotency_key (str | Unset):
        content_hash (str | Unset): The content_hash you reviewed; needed to approve content that changed since opening
    """

    decision: GateApproveInDecisionEnum
    comment: str | Unset = ""
    idempotency_key: str | Unset = UNSET
    content_hash: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision.value

        comment = self.comment

        idempotency_key = self.idempotency_key

        content_hash = self.content_hash

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "decision": decision,
            }
        )
        if comment is not UNSET:
            field_dict["comment"] = comment
        if idempotency_key is not UNSET:
            field_dict["idempotency_key"] = idempotency_key
        if content_hash is not UNSET:
            field_dict["content_hash"] = content_hash

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        decision = GateApproveInDecisionEnum(d.pop("decision"))

        comment = d.pop("comment", UNSET)

        idempotency_key = d.pop("idempotency_key", UNSET)

        content_hash = d.pop("content_hash", UNSET)

        gate_approve_in_request = cls(
            decision=decision,
            comment=comment,
            idempotency_key=idempotency_key,
            content_hash=content_hash,
        )

        return gate_approve_in_request
