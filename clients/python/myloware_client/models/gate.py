from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.gate_callback_status_enum import GateCallbackStatusEnum
from ..models.gate_name_enum import GateNameEnum
from ..models.gate_status_enum import GateStatusEnum

if TYPE_CHECKING:
    from ..models.decision import Decision
    from ..models.gate_notification import GateNotification


T = TypeVar("T", bound="Gate")


@_attrs_define
class Gate:
    """
    Attributes:
        id (int):
        run_id (str):
        gate (GateNameEnum): * `workflow` - Workflow
            * `ideate` - Ideate
            * `prepublish` - Prepublish
        status (GateStatusEnum): * `open` - Open
            * `approved` - Approved
            * `rejected` - Rejected
            * `expired` - Expired
            * `cancelled` - Cancelled (run ended)
        summary (str):
        artifact_ids (list[UUID]): The artifacts under review
        content_hash (str):
        opened_by (str):
        opened_at (datetime.datetime):
        deadline_at (datetime.datetime):
        approvals_needed (int):
        allow_self_approval (bool):
        decided_at (datetime.datetime | None):
        decided_by (str):
        decision_comment (str):
        chosen_idea_id (None | UUID):
        callback_status (GateCallbackStatusEnum): * `none` - No callback (gate open)
            * `pending` - Pending delivery
            * `delivered` - Delivered
            * `disabled` - Endpoint disabled (410)
            * `not_configured` - No orchestrator URL configured
        decisions (list[Decision]):
        notifications (list[GateNotification]):
    """

    id: int
    run_id: str
    gate: GateNameEnum
    status: GateStatusEnum
    summary: str
    artifact_ids: list[UUID]
    content_hash: str
    opened_by: str
    opened_at: datetime.datetime
    deadline_at: datetime.datetime
    approvals_needed: int
    allow_self_approval: bool
    decided_at: datetime.datetime | None
    decided_by: str
    decision_comment: str
    chosen_idea_id: None | UUID
    callback_status: GateCallbackStatusEnum
    decisions: list[Decision]
    notifications: list[GateNotification]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        run_id = self.run_id

        gate = self.gate.value

        status = self.status.value

        summary = self.summary

        artifact_ids = []
        for artifact_ids_item_data in self.artifact_ids:
            artifact_ids_item = str(artifact_ids_item_data)
            artifact_ids.append(artifact_ids_item)

        content_hash = self.content_hash

        opened_by = self.opened_by

        opened_at = self.opened_at.isoformat()

        deadline_at = self.deadline_at.isoformat()

        approvals_needed = self.approvals_needed

        allow_self_approval = self.allow_self_approval

        decided_at: None | str
        if isinstance(self.decided_at, datetime.datetime):
            decided_at = self.decided_at.isoformat()
        else:
            decided_at = self.decided_at

        decided_by = self.decided_by

        decision_comment = self.decision_comment

        chosen_idea_id: None | str
        if isinstance(self.chosen_idea_id, UUID):
            chosen_idea_id = str(self.chosen_idea_id)
        else:
            chosen_idea_id = self.chosen_idea_id

        callback_status = self.callback_status.value

        decisions = []
        for decisions_item_data in self.decisions:
            decisions_item = decisions_item_data.to_dict()
            decisions.append(decisions_item)

        notifications = []
        for notifications_item_data in self.notifications:
            notifications_item = notifications_item_data.to_dict()
            notifications.append(notifications_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "run_id": run_id,
                "gate": gate,
                "status": status,
                "summary": summary,
                "artifact_ids": artifact_ids,
                "content_hash": content_hash,
                "opened_by": opened_by,
                "opened_at": opened_at,
                "deadline_at": deadline_at,
                "approvals_needed": approvals_needed,
                "allow_self_approval": allow_self_approval,
                "decided_at": decided_at,
                "decided_by": decided_by,
                "decision_comment": decision_comment,
                "chosen_idea_id": chosen_idea_id,
                "callback_status": callback_status,
                "decisions": decisions,
                "notifications": notifications,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decision import Decision  # noqa: PLC0415
        from ..models.gate_notification import GateNotification  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        run_id = d.pop("run_id")

        gate = GateNameEnum(d.pop("gate"))

        status = GateStatusEnum(d.pop("status"))

        summary = d.pop("summary")

        artifact_ids = []
        _artifact_ids = d.pop("artifact_ids")
        for artifact_ids_item_data in _artifact_ids:
            artifact_ids_item = UUID(artifact_ids_item_data)

            artifact_ids.append(artifact_ids_item)

        content_hash = d.pop("content_hash")

        opened_by = d.pop("opened_by")

        opened_at = datetime.datetime.fromisoformat(d.pop("opened_at"))

        deadline_at = datetime.datetime.fromisoformat(d.pop("deadline_at"))

        approvals_needed = d.pop("approvals_needed")

        allow_self_approval = d.pop("allow_self_approval")

        def _parse_decided_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                decided_at_type_0 = datetime.datetime.fromisoformat(data)

                return decided_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        decided_at = _parse_decided_at(d.pop("decided_at"))

        decided_by = d.pop("decided_by")

        decision_comment = d.pop("decision_comment")

        def _parse_chosen_idea_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                chosen_idea_id_type_0 = UUID(data)

                return chosen_idea_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        chosen_idea_id = _parse_chosen_idea_id(d.pop("chosen_idea_id"))

        callback_status = GateCallbackStatusEnum(d.pop("callback_status"))

        decisions = []
        _decisions = d.pop("decisions")
        for decisions_item_data in _decisions:
            decisions_item = Decision.from_dict(decisions_item_data)

            decisions.append(decisions_item)

        notifications = []
        _notifications = d.pop("notifications")
        for notifications_item_data in _notifications:
            notifications_item = GateNotification.from_dict(notifications_item_data)

            notifications.append(notifications_item)

        gate = cls(
            id=id,
            run_id=run_id,
            gate=gate,
            status=status,
            summary=summary,
            artifact_ids=artifact_ids,
            content_hash=content_hash,
            opened_by=opened_by,
            opened_at=opened_at,
            deadline_at=deadline_at,
            approvals_needed=approvals_needed,
            allow_self_approval=allow_self_approval,
            decided_at=decided_at,
            decided_by=decided_by,
            decision_comment=decision_comment,
            chosen_idea_id=chosen_idea_id,
            callback_status=callback_status,
            decisions=decisions,
            notifications=notifications,
        )

        gate.additional_properties = d
        return gate

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
