from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="WebhookDLQDetail")


@_attrs_define
class WebhookDLQDetail:
    """
    Attributes:
        id (UUID):
        event_id (None | UUID):
        provider (str):
        idempotency_key (str):
        error (str):
        error_class (str):
        retry_count (int):
        next_retry_at (datetime.datetime | None):
        last_error_at (datetime.datetime | None):
        dead (bool):
        dead_at (datetime.datetime | None):
        due (bool): Due for replay now (not dead, retry time reached)
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        traceback (str):
    """

    id: UUID
    event_id: None | UUID
    provider: str
    idempotency_key: str
    error: str
    error_class: str
    retry_count: int
    next_retry_at: datetime.datetime | None
    last_error_at: datetime.datetime | None
    dead: bool
    dead_at: datetime.datetime | None
    due: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    traceback: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        event_id: None | str
        if isinstance(self.event_id, UUID):
            event_id = str(self.event_id)
        else:
            event_id = self.event_id

        provider = self.provider

        idempotency_key = self.idempotency_key

        error = self.error

        error_class = self.error_class

        retry_count = self.retry_count

        next_retry_at: None | str
        if isinstance(self.next_retry_at, datetime.datetime):
            next_retry_at = self.next_retry_at.isoformat()
        else:
            next_retry_at = self.next_retry_at

        last_error_at: None | str
        if isinstance(self.last_error_at, datetime.datetime):
            last_error_at = self.last_error_at.isoformat()
        else:
            last_error_at = self.last_error_at

        dead = self.dead

        dead_at: None | str
        if isinstance(self.dead_at, datetime.datetime):
            dead_at = self.dead_at.isoformat()
        else:
            dead_at = self.dead_at

        due = self.due

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        traceback = self.traceback

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "event_id": event_id,
                "provider": provider,
                "idempotency_key": idempotency_key,
                "error": error,
                "error_class": error_class,
                "retry_count": retry_count,
                "next_retry_at": next_retry_at,
                "last_error_at": last_error_at,
                "dead": dead,
                "dead_at": dead_at,
                "due": due,
                "created_at": created_at,
                "updated_at": updated_at,
                "traceback": traceback,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        def _parse_event_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                event_id_type_0 = UUID(data)

                return event_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        event_id = _parse_event_id(d.pop("event_id"))

        provider = d.pop("provider")

        idempotency_key = d.pop("idempotency_key")

        error = d.pop("error")

        error_class = d.pop("error_class")

        retry_count = d.pop("retry_count")

        def _parse_next_retry_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_retry_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_retry_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_retry_at = _parse_next_retry_at(d.pop("next_retry_at"))

        def _parse_last_error_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_error_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_error_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_error_at = _parse_last_error_at(d.pop("last_error_at"))

        dead = d.pop("dead")

        def _parse_dead_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                dead_at_type_0 = datetime.datetime.fromisoformat(data)

                return dead_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        dead_at = _parse_dead_at(d.pop("dead_at"))

        due = d.pop("due")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        traceback = d.pop("traceback")

        webhook_dlq_detail = cls(
            id=id,
            event_id=event_id,
            provider=provider,
            idempotency_key=idempotency_key,
            error=error,
            error_class=error_class,
            retry_count=retry_count,
            next_retry_at=next_retry_at,
            last_error_at=last_error_at,
            dead=dead,
            dead_at=dead_at,
            due=due,
            created_at=created_at,
            updated_at=updated_at,
            traceback=traceback,
        )

        webhook_dlq_detail.additional_properties = d
        return webhook_dlq_detail

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
