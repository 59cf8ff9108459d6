from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payload_drop_reason_enum import PayloadDropReasonEnum
from ..models.signature_status_enum import SignatureStatusEnum
from ..models.webhook_event_status_enum import WebhookEventStatusEnum

if TYPE_CHECKING:
    from ..models.webhook_event_detail_headers import WebhookEventDetailHeaders
    from ..models.webhook_event_detail_query import WebhookEventDetailQuery


T = TypeVar("T", bound="WebhookEventDetail")


@_attrs_define
class WebhookEventDetail:
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
        client_address (None | str):
        headers (WebhookEventDetailHeaders): Redacted
        query (WebhookEventDetailQuery): Redacted
        payload_size (int | None):
        payload_sha256 (None | str):
        payload_dropped_at (datetime.datetime | None):
        payload_drop_reason (None | PayloadDropReasonEnum):
        payload_note (str): "body not kept: <why>" when the body was dropped, else empty
        payload_base64 (None | str): The raw body, byte-exact (null when it was not kept: see payload_note)
        payload_text (None | str): The body decoded as UTF-8 (invalid bytes replaced), capped at 64 KiB; null when not
            kept
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
    client_address: None | str
    headers: WebhookEventDetailHeaders
    query: WebhookEventDetailQuery
    payload_size: int | None
    payload_sha256: None | str
    payload_dropped_at: datetime.datetime | None
    payload_drop_reason: None | PayloadDropReasonEnum
    payload_note: str
    payload_base64: None | str
    payload_text: None | str
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

        client_address: None | str
        client_address = self.client_address

        headers = self.headers.to_dict()

        query = self.query.to_dict()

        payload_size: int | None
        payload_size = self.payload_size

        payload_sha256: None | str
        payload_sha256 = self.payload_sha256

        payload_dropped_at: None | str
        if isinstance(self.payload_dropped_at, datetime.datetime):
            payload_dropped_at = self.payload_dropped_at.isoformat()
        else:
            payload_dropped_at = self.payload_dropped_at

        payload_drop_reason: None | str
        if isinstance(self.payload_drop_reason, PayloadDropReasonEnum):
            payload_drop_reason = self.payload_drop_reason.value
        else:
            payload_drop_reason = self.payload_drop_reason

        payload_note = self.payload_note

        payload_base64: None | str
        payload_base64 = self.payload_base64

        payload_text: None | str
        payload_text = self.payload_text

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
                "client_address": client_address,
                "headers": headers,
                "query": query,
                "payload_size": payload_size,
                "payload_sha256": payload_sha256,
                "payload_dropped_at": payload_dropped_at,
                "payload_drop_reason": payload_drop_reason,
                "payload_note": payload_note,
                "payload_base64": payload_base64,
                "payload_text": payload_text,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_event_detail_headers import WebhookEventDetailHeaders  # noqa: PLC0415
        from ..models.webhook_event_detail_query import WebhookEventDetailQuery  # noqa: PLC0415

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

        def _parse_client_address(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        client_address = _parse_client_address(d.pop("client_address"))

        headers = WebhookEventDetailHeaders.from_dict(d.pop("headers"))

        query = WebhookEventDetailQuery.from_dict(d.pop("query"))

        def _parse_payload_size(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        payload_size = _parse_payload_size(d.pop("payload_size"))

        def _parse_payload_sha256(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        payload_sha256 = _parse_payload_sha256(d.pop("payload_sha256"))

        def _parse_payload_dropped_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                payload_dropped_at_type_0 = datetime.datetime.fromisoformat(data)

                return payload_dropped_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        payload_dropped_at = _parse_payload_dropped_at(d.pop("payload_dropped_at"))

        def _parse_payload_drop_reason(data: object) -> None | PayloadDropReasonEnum:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                payload_drop_reason_type_0 = PayloadDropReasonEnum(data)

                return payload_drop_reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PayloadDropReasonEnum, data)

        payload_drop_reason = _parse_payload_drop_reason(d.pop("payload_drop_reason"))

        payload_note = d.pop("payload_note")

        def _parse_payload_base64(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        payload_base64 = _parse_payload_base64(d.pop("payload_base64"))

        def _parse_payload_text(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        payload_text = _parse_payload_text(d.pop("payload_text"))

        webhook_event_detail = cls(
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
            client_address=client_address,
            headers=headers,
            query=query,
            payload_size=payload_size,
            payload_sha256=payload_sha256,
            payload_dropped_at=payload_dropped_at,
            payload_drop_reason=payload_drop_reason,
            payload_note=payload_note,
            payload_base64=payload_base64,
            payload_text=payload_text,
        )

        webhook_event_detail.additional_properties = d
        return webhook_event_detail

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
