from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.run_status_enum import RunStatusEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="TransitionInRequest")


@_attrs_define
class TransitionInRequest:
    """
    Attributes:
        to (RunStatusEnum): * `pending_workflow` - Pending workflow approval
            * `pending` - Pending
            * `running` - Running
            * `awaiting_approval` - Awaiting approval
            * `published` - Published
            * `failed` - Failed
            * `rejected` - Rejected
            * `cancelled` - Cancelled
        reason (str | Unset):  Default: ''.
    """

    to: RunStatusEnum
    reason: str | Unset = ""

    def to_dict(self) -> dict[str, Any]:
        to = self.to.value

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "to": to,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        to = RunStatusEnum(d.pop("to"))

        reason = d.pop("reason", UNSET)

        transition_in_request = cls(
            to=to,
            reason=reason,
        )

        return transition_in_request
