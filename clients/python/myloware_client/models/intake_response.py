from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.intake_response_status_enum import IntakeResponseStatusEnum

T = TypeVar("T", bound="IntakeResponse")


@_attrs_define
class IntakeResponse:
    """
    Attributes:
        status (IntakeResponseStatusEnum): * `accepted` - accepted
            * `duplicate` - duplicate
        event_id (UUID):
    """

    status: IntakeResponseStatusEnum
    event_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        event_id = str(self.event_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "event_id": event_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = IntakeResponseStatusEnum(d.pop("status"))

        event_id = UUID(d.pop("event_id"))

        intake_response = cls(
            status=status,
            event_id=event_id,
        )

        intake_response.additional_properties = d
        return intake_response

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
