from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.gate_reject_in_decision_enum import GateRejectInDecisionEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="GateRejectInRequest")


@_attrs_define
class GateRejectInRequest:
    """A rejection, with a comment saying why (it chooses no idea).

    Attributes:
        decision (GateRejectInDecisionEnum): * `reject` - reject
        comment (str): Why the gate is rejected
        idempotency_key (str | Unset):
        content_hash (str | Unset): The content_hash you reviewed; needed to approve content that changed since opening
    """

    decision: GateRejectInDecisionEnum
    comment: str
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
                "comment": comment,
            }
        )
        if idempotency_key is not UNSET:
            field_dict["idempotency_key"] = idempotency_key
        if content_hash is not UNSET:
            field_dict["content_hash"] = content_hash

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        decision = GateRejectInDecisionEnum(d.pop("decision"))

        comment = d.pop("comment")

        idempotency_key = d.pop("idempotency_key", UNSET)

        content_hash = d.pop("content_hash", UNSET)

        gate_reject_in_request = cls(
            decision=decision,
            comment=comment,
            idempotency_key=idempotency_key,
            content_hash=content_hash,
        )

        return gate_reject_in_request
