from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.publication_status_enum import PublicationStatusEnum

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="Publication")


@_attrs_define
class Publication:
    """
    Attributes:
        id (UUID):
        run_id (str):
        social_id (UUID):
        platform (str):
        account_id (str):
        status (PublicationStatusEnum): * `queued` - Queued
            * `uploading` - Uploading
            * `processing` - Processing at the provider
            * `published` - Published
            * `failed` - Failed
        video_url (str):
        caption (str):
        tags (list[str]):
        privacy (None | str):
        idempotency_key (str):
        publish_url (None | str):
        provider_request_id (None | str):
        provider_response (JsonObject | None): The provider's answer (secret-looking keys masked)
        error (str):
        fake (bool): Published by the local-development fake client
        attempts (int):
        actor (str):
        requested_at (datetime.datetime):
        started_at (datetime.datetime | None):
        completed_at (datetime.datetime | None):
        created_at (datetime.datetime):
    """

    id: UUID
    run_id: str
    social_id: UUID
    platform: str
    account_id: str
    status: PublicationStatusEnum
    video_url: str
    caption: str
    tags: list[str]
    privacy: None | str
    idempotency_key: str
    publish_url: None | str
    provider_request_id: None | str
    provider_response: JsonObject | None
    error: str
    fake: bool
    attempts: int
    actor: str
    requested_at: datetime.datetime
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        id = str(self.id)

        run_id = self.run_id

        social_id = str(self.social_id)

        platform = self.platform

        account_id = self.account_id

        status = self.status.value

        video_url = self.video_url

        caption = self.caption

        tags = self.tags

        privacy: None | str
        privacy = self.privacy

        idempotency_key = self.idempotency_key

        publish_url: None | str
        publish_url = self.publish_url

        provider_request_id: None | str
        provider_request_id = self.provider_request_id

        provider_response: dict[str, Any] | None
        if isinstance(self.provider_response, JsonObject):
            provider_response = self.provider_response.to_dict()
        else:
            provider_response = self.provider_response

        error = self.error

        fake = self.fake

        attempts = self.attempts

        actor = self.actor

        requested_at = self.requested_at.isoformat()

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        completed_at: None | str
        if isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "run_id": run_id,
                "social_id": social_id,
                "platform": platform,
                "account_id": account_id,
                "status": status,
                "video_url": video_url,
                "caption": caption,
                "tags": tags,
                "privacy": privacy,
                "idempotency_key": idempotency_key,
                "publish_url": publish_url,
                "provider_request_id": provider_request_id,
                "provider_response": provider_response,
                "error": error,
                "fake": fake,
                "attempts": attempts,
                "actor": actor,
                "requested_at": requested_at,
                "started_at": started_at,
                "completed_at": completed_at,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        run_id = d.pop("run_id")

        social_id = UUID(d.pop("social_id"))

        platform = d.pop("platform")

        account_id = d.pop("account_id")

        status = PublicationStatusEnum(d.pop("status"))

        video_url = d.pop("video_url")

        caption = d.pop("caption")

        tags = cast(list[str], d.pop("tags"))

        def _parse_privacy(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        privacy = _parse_privacy(d.pop("privacy"))

        idempotency_key = d.pop("idempotency_key")

        def _parse_publish_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        publish_url = _parse_publish_url(d.pop("publish_url"))

        def _parse_provider_request_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        provider_request_id = _parse_provider_request_id(d.pop("provider_request_id"))

        def _parse_provider_response(data: object) -> JsonObject | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                provider_response_type_0 = JsonObject.from_dict(data)

                return provider_response_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None, data)

        provider_response = _parse_provider_response(d.pop("provider_response"))

        error = d.pop("error")

        fake = d.pop("fake")

        attempts = d.pop("attempts")

        actor = d.pop("actor")

        requested_at = datetime.datetime.fromisoformat(d.pop("requested_at"))

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))

        def _parse_completed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                completed_at_type_0 = datetime.datetime.fromisoformat(data)

                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        completed_at = _parse_completed_at(d.pop("completed_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        publication = cls(
            id=id,
            run_id=run_id,
            social_id=social_id,
            platform=platform,
            account_id=account_id,
            status=status,
            video_url=video_url,
            caption=caption,
            tags=tags,
            privacy=privacy,
            idempotency_key=idempotency_key,
            publish_url=publish_url,
            provider_request_id=provider_request_id,
            provider_response=provider_response,
            error=error,
            fake=fake,
            attempts=attempts,
            actor=actor,
            requested_at=requested_at,
            started_at=started_at,
            completed_at=completed_at,
            created_at=created_at,
        )

        publication.additional_properties = d
        return publication

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
