from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Social")


@_attrs_define
class Social:
    """
    Attributes:
        id (UUID):
        provider (str):
        account_id (str):
        credential_ref (str):
        credential_resolves (bool): Whether credential_ref currently resolves (the secret itself is never returned)
        default_caption (None | str):
        default_tags (list[str] | None):
        privacy (None | str):
        rate_limit_window (int | None):
        next_publish_allowed_at (datetime.datetime | None): When the rate-limit window allows the next publish; null =
            now
        created_at (datetime.datetime):
    """

    id: UUID
    provider: str
    account_id: str
    credential_ref: str
    credential_resolves: bool
    default_caption: None | str
    default_tags: list[str] | None
    privacy: None | str
    rate_limit_window: int | None
    next_publish_allowed_at: datetime.datetime | None
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        provider = self.provider

        account_id = self.account_id

        credential_ref = self.credential_ref

        credential_resolves = self.credential_resolves

        default_caption: None | str
        default_caption = self.default_caption

        default_tags: list[str] | None
        if isinstance(self.default_tags, list):
            default_tags = self.default_tags

        else:
            default_tags = self.default_tags

        privacy: None | str
        privacy = self.privacy

        rate_limit_window: int | None
        rate_limit_window = self.rate_limit_window

        next_publish_allowed_at: None | str
        if isinstance(self.next_publish_allowed_at, datetime.datetime):
            next_publish_allowed_at = self.next_publish_allowed_at.isoformat()
        else:
            next_publish_allowed_at = self.next_publish_allowed_at

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "provider": provider,
                "account_id": account_id,
                "credential_ref": credential_ref,
                "credential_resolves": credential_resolves,
                "default_caption": default_caption,
                "default_tags": default_tags,
                "privacy": privacy,
                "rate_limit_window": rate_limit_window,
                "next_publish_allowed_at": next_publish_allowed_at,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        provider = d.pop("provider")

        account_id = d.pop("account_id")

        credential_ref = d.pop("credential_ref")

        credential_resolves = d.pop("credential_resolves")

        def _parse_default_caption(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        default_caption = _parse_default_caption(d.pop("default_caption"))

        def _parse_default_tags(data: object) -> list[str] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                default_tags_type_0 = cast(list[str], data)

                return default_tags_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None, data)

        default_tags = _parse_default_tags(d.pop("default_tags"))

        def _parse_privacy(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        privacy = _parse_privacy(d.pop("privacy"))

        def _parse_rate_limit_window(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        rate_limit_window = _parse_rate_limit_window(d.pop("rate_limit_window"))

        def _parse_next_publish_allowed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_publish_allowed_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_publish_allowed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_publish_allowed_at = _parse_next_publish_allowed_at(d.pop("next_publish_allowed_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        social = cls(
            id=id,
            provider=provider,
            account_id=account_id,
            credential_ref=credential_ref,
            credential_resolves=credential_resolves,
            default_caption=default_caption,
            default_tags=default_tags,
            privacy=privacy,
            rate_limit_window=rate_limit_window,
            next_publish_allowed_at=next_publish_allowed_at,
            created_at=created_at,
        )

        social.additional_properties = d
        return social

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
