from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SocialWriteRequest")


@_attrs_define
class SocialWriteRequest:
    """Shape check; the rules live in socials.services (422) and the patterns here state them.

    Attributes:
        provider (str): Platform slug, e.g. tiktok (stored lower-case, trimmed)
        account_id (str): The upload-post profile (user) of the account (stored trimmed)
        credential_ref (str | Unset): env:<SOCIALS_CREDENTIAL_ENV_PREFIX><NAME> (PUBLISH_CREDENTIAL_<NAME> by default),
            or file:/path inside SOCIALS_CREDENTIAL_FILE_DIR when that is set
        default_caption (None | str | Unset):
        default_tags (list[str] | None | Unset):
        privacy (None | str | Unset):
        rate_limit_window (int | None | Unset): Seconds between two publishes to this account
    """

    provider: str
    account_id: str
    credential_ref: str | Unset = UNSET
    default_caption: None | str | Unset = UNSET
    default_tags: list[str] | None | Unset = UNSET
    privacy: None | str | Unset = UNSET
    rate_limit_window: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        provider = self.provider

        account_id = self.account_id

        credential_ref = self.credential_ref

        default_caption: None | str | Unset
        if isinstance(self.default_caption, Unset):
            default_caption = UNSET
        else:
            default_caption = self.default_caption

        default_tags: list[str] | None | Unset
        if isinstance(self.default_tags, Unset):
            default_tags = UNSET
        elif isinstance(self.default_tags, list):
            default_tags = self.default_tags

        else:
            default_tags = self.default_tags

        privacy: None | str | Unset
        if isinstance(self.privacy, Unset):
            privacy = UNSET
        else:
            privacy = self.privacy

        rate_limit_window: int | None | Unset
        if isinstance(self.rate_limit_window, Unset):
            rate_limit_window = UNSET
        else:
            rate_limit_window = self.rate_limit_window

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "provider": provider,
                "account_id": account_id,
            }
        )
        if credential_ref is not UNSET:
            field_dict["credential_ref"] = credential_ref
        if default_caption is not UNSET:
            field_dict["default_caption"] = default_caption
        if default_tags is not UNSET:
            field_dict["default_tags"] = default_tags
        if privacy is not UNSET:
            field_dict["privacy"] = privacy
        if rate_limit_window is not UNSET:
            field_dict["rate_limit_window"] = rate_limit_window

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        provider = d.pop("provider")

        account_id = d.pop("account_id")

        credential_ref = d.pop("credential_ref", UNSET)

        def _parse_default_caption(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        default_caption = _parse_default_caption(d.pop("default_caption", UNSET))

        def _parse_default_tags(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                default_tags_type_0 = cast(list[str], data)

                return default_tags_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        default_tags = _parse_default_tags(d.pop("default_tags", UNSET))

        def _parse_privacy(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        privacy = _parse_privacy(d.pop("privacy", UNSET))

        def _parse_rate_limit_window(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rate_limit_window = _parse_rate_limit_window(d.pop("rate_limit_window", UNSET))

        social_write_request = cls(
            provider=provider,
            account_id=account_id,
            credential_ref=credential_ref,
            default_caption=default_caption,
            default_tags=default_tags,
            privacy=privacy,
            rate_limit_window=rate_limit_window,
        )

        return social_write_request
