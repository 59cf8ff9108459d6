from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.outcome_enum import OutcomeEnum

T = TypeVar("T", bound="ReplayResult")


@_attrs_define
class ReplayResult:
    """
    Attributes:
        entry_id (UUID):
        event_id (str):
        provider (str):
        outcome (OutcomeEnum): * `processed` - processed
            * `ignored` - ignored
            * `failed` - failed
            * `dead` - dead
            * `missing` - missing
        error (str):
    """

    entry_id: UUID
    event_id: str
    provider: str
    outcome: OutcomeEnum
    error: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        entry_id = str(self.entry_id)

        event_id = self.event_id

        provider = self.provider

        outcome = self.outcome.value

        error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "entry_id": entry_id,
                "event_id": event_id,
                "provider": provider,
                "outcome": outcome,
                "error": error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        entry_id = UUID(d.pop("entry_id"))

        event_id = d.pop("event_id")

        provider = d.pop("provider")

        outcome = OutcomeEnum(d.pop("outcome"))

        error = d.pop("error")

        replay_result = cls(
            entry_id=entry_id,
            event_id=event_id,
            provider=provider,
            outcome=outcome,
            error=error,
        )

        replay_result.additional_properties = d
        return replay_result

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
