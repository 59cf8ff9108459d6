from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.gate_notification_channel_enum import GateNotificationChannelEnum
from ..models.gate_notification_kind_enum import GateNotificationKindEnum
from ..models.gate_notification_status_enum import GateNotificationStatusEnum

T = TypeVar("T", bound="GateNotification")


@_attrs_define
class GateNotification:
    """
    Attributes:
        kind (GateNotificationKindEnum): * `opened` - Gate opened
            * `reminder` - Reminder
            * `escalation` - Escalation
            * `closed` - Gate closed
        channel (GateNotificationChannelEnum): * `email` - E-mail
            * `chat` - Chat webhook
        target (str): The e-mail address, or the chat webhook URL with its secret path redacted
        status (GateNotificationStatusEnum): * `pending` - Pending
            * `sent` - Sent
            * `failed` - Failed (gave up)
            * `skipped` - Skipped (gate closed first)
        attempts (int):
        next_attempt_at (datetime.datetime | None):
        sent_at (datetime.datetime | None):
        last_error (str):
    """

    kind: GateNotificationKindEnum
    channel: GateNotificationChannelEnum
    target: str
    status: GateNotificationStatusEnum
    attempts: int
    next_attempt_at: datetime.datetime | None
    sent_at: datetime.datetime | None
    last_error: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        channel = self.channel.value

        target = self.target

        status = self.status.value

        attempts = self.attempts

        next_attempt_at: None | str
        if isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

        sent_at: None | str
        if isinstance(self.sent_at, datetime.datetime):
            sent_at = self.sent_at.isoformat()
        else:
            sent_at = self.sent_at

        last_error = self.last_error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
                "channel": channel,
                "target": target,
                "status": status,
                "attempts": attempts,
                "next_attempt_at": next_attempt_at,
                "sent_at": sent_at,
                "last_error": last_error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = GateNotificationKindEnum(d.pop("kind"))

        channel = GateNotificationChannelEnum(d.pop("channel"))

        target = d.pop("target")

        status = GateNotificationStatusEnum(d.pop("status"))

        attempts = d.pop("attempts")

        def _parse_next_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_attempt_at = _parse_next_attempt_at(d.pop("next_attempt_at"))

        def _parse_sent_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                sent_at_type_0 = datetime.datetime.fromisoformat(data)

                return sent_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        sent_at = _parse_sent_at(d.pop("sent_at"))

        last_error = d.pop("last_error")

        gate_notification = cls(
            kind=kind,
            channel=channel,
            target=target,
            status=status,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            sent_at=sent_at,
            last_error=last_error,
        )

        gate_notification.additional_properties = d
        return gate_notification

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
