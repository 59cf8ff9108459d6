from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.run_status_enum import RunStatusEnum

T = TypeVar("T", bound="RunListItem")


@_attrs_define
class RunListItem:
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
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    run_id: str
    project: str
    status: RunStatusEnum
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        run_id = self.run_id

        project = self.project

        status = self.status.value

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "run_id": run_id,
                "project": project,
                "status": status,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        run_id = d.pop("run_id")

        project = d.pop("project")

        status = RunStatusEnum(d.pop("status"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        run_list_item = cls(
            run_id=run_id,
            project=project,
            status=status,
            created_at=created_at,
            updated_at=updated_at,
        )

        run_list_item.additional_properties = d
        return run_list_item

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
