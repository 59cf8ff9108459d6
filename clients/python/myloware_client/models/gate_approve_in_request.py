from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

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
        chosen_idea_id (None | Unset | UUID): The idea (one of the idea artifacts under review) the run goes ahead with;
            by default the one an earlier approver chose, else the first idea under review
    """

    decision: GateApproveInDecisionEnum
    comment: str | Unset = ""
    idempotency_key: str | Unset = UNSET
    content_hash: str | Unset = UNSET
    chosen_idea_id: None | Unset | UUID = UNSET

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision.value

        comment = self.comment

        idempotency_key = self.idempotency_key

        content_hash = self.content_hash

        chosen_idea_id: None | str | Unset
        if isinstance(self.chosen_idea_id, Unset):
            chosen_idea_id = UNSET
        elif isinstance(self.chosen_idea_id, UUID):
            chosen_idea_id = str(self.chosen_idea_id)
        else:
            chosen_idea_id = self.chosen_idea_id

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
        if chosen_idea_id is not UNSET:
            field_dict["chosen_idea_id"] = chosen_idea_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        decision = GateApproveInDecisionEnum(d.pop("decision"))

        comment = d.pop("comment", UNSET)

        idempotency_key = d.pop("idempotency_key", UNSET)

        content_hash = d.pop("content_hash", UNSET)

        def _parse_chosen_idea_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                chosen_idea_id_type_0 = UUID(data)

                return chosen_idea_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        chosen_idea_id = _parse_chosen_idea_id(d.pop("chosen_idea_id", UNSET))

        gate_approve_in_request = cls(
            decision=decision,
            comment=comment,
            idempotency_key=idempotency_key,
            content_hash=content_hash,
            chosen_idea_id=chosen_idea_id,
        )

        return gate_approve_in_request
