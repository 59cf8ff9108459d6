from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PublishRequest")


@_attrs_define
class PublishRequest:
    """
    Attributes:
        caption (str | Unset): Default: the account's
        tags (list[str] | Unset): Default: the account's
        privacy (str | Unset): Default: the account's
        video_url (str | Unset): Default: the run's final render (render.url artifact / result.renderUrl)
    """

    caption: str | Unset = UNSET
    tags: list[str] | Unset = UNSET
    privacy: str | Unset = UNSET
    video_url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        caption = self.caption

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        privacy = self.privacy

        video_url = self.video_url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if caption is not UNSET:
            field_dict["caption"] = caption
        if tags is not UNSET:
            field_dict["tags"] = tags
        if privacy is not UNSET:
            field_dict["privacy"] = privacy
        if video_url is not UNSET:
            field_dict["video_url"] = video_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        caption = d.pop("caption", UNSET)

        tags = cast(list[str], d.pop("tags", UNSET))

        privacy = d.pop("privacy", UNSET)

        video_url = d.pop("video_url", UNSET)

        publish_request = cls(
            caption=caption,
            tags=tags,
            privacy=privacy,
            video_url=video_url,
        )

        return publish_request
