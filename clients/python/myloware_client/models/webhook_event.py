from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.signature_status_enum import SignatureStatusEnum
from ..models.webhook_event_status_enum import WebhookEventStatusEnum

if TYPE_CHECKING:
    from ..models.webhook_event_headers import WebhookEventHeaders
    from ..models.webhook_event_query import WebhookEventQuery


T = TypeVar("T", bound="WebhookEvent")


@_attrs_define
class WebhookEvent:
    """
    Attributes:
        id (UUID):
        provider (str):
        idempotency_key (str):
        idempotency_rule (str):
        signature_status (SignatureStatusEnum): * `valid` - Valid
            * `invalid` - Invalid
            * `missing` - Missing
        signature_reason (str):
        status (WebhookEventStatusEnum): * `received` - Received
            * `processed` - Processed
            * `failed` - Failed
            * `ignored` - Ignored
            * `rejected` - Rejected (not authentic)
        run_id (None | str):
        attempts (int):
        received_at (datetime.datetime):
        processed_at (datetime.datetime | None):
        error (None | str):
        content_type (str):
        headers (WebhookEventHeaders): Redacted
        query (WebhookEventQuery): Redacted
        payload_size (int):
    """

    id: UUID
    provider: str
    idempotency_key: str
    idempotency_rule: str
    signature_status: SignatureStatusEnum
    signature_reason: str
    status: WebhookEventStatusEnum
    run_id: None | str
    attempts: int
    received_at: datetime.datetime
    processed_at: datetime.datetime | None
    error: None | str
    content_type: str
    headers: WebhookEventHeaders
    query: WebhookEventQuery
    payload_size: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        provider = self.provider

        idempotency_key = self.idempotency_key

        idempotency_rule = self.idempotency_rule

        signature_status = self.signature_status.value

        signature_reason = self.signature_reason

        status = self.status.value

        run_id: None | str
        run_id = self.run_id

        attempts = self.attempts

        received_at = self.received_at.isoformat()

        processed_at: None | str
        if isinstance(self.processed_at, datetime.datetime):
            processed_at = self.processed_at.isoformat()
        else:
            processed_at = self.processed_at

        error: None | str
        error = self.error

        content_type = self.content_type

        headers = self.headers.to_dict()

        query = self.query.to_dict()

        payload_size = self.payload_size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "provider": provider,
                "idempotency_key": idempotency_key,
                "idempotency_rule": idempotency_rule,
                "signature_status": signature_status,
                "signature_reason": signature_reason,
                "status": status,
                "run_id": run_id,
                "attempts": attempts,
                "received_at": received_at,
                "processed_at": processed_at,
                "error": error,
                "content_type": content_type,
                "headers": headers,
                "query": query,
                "payload_size": payload_size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_event_headers import WebhookEventHeaders  # noqa: PLC0415
        from ..models.webhook_event_query import WebhookEventQuery  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        provider = d.pop("provider")

        idempotency_key = d.pop("idempotency_key")

        idempotency_rule = d.pop("idempotency_rule")

        signature_status = SignatureStatusEnum(d.pop("signature_status"))

        signature_reason = d.pop("signature_reason")

        status = WebhookEventStatusEnum(d.pop("status"))

        def _parse_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        run_id = _parse_run_id(d.pop("run_id"))

        attempts = d.pop("attempts")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))

        def _parse_processed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                processed_at_type_0 = datetime.datetime.fromisoformat(data)

                return processed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        processed_at = _parse_processed_at(d.pop("processed_at"))

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        content_type = d.pop("content_type")

        headers = WebhookEventHeaders.from_dict(d.pop("headers"))

        query = WebhookEventQuery.from_dict(d.pop("query"))

        payload_size = d.pop("payload_size")

        webhook_event = cls(
            id=id,
            provider=provider,
            idempotency_key=idempotency_key,
            idempotency_rule=idempotency_rule,
            signature_status=signature_status,
            signature_reason=signature_reason,
            status=status,
            run_id=run_id,
            attempts=attempts,
            received_at=received_at,
            processed_at=processed_at,
            error=error,
            content_type=content_type,
            headers=headers,
            query=query,
            payload_size=payload_size,
        )

        webhook_event.additional_properties = d
        return webhook_event

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
