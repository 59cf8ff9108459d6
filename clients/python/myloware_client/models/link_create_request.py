from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="LinkCreateRequest")


@_attrs_define
class LinkCreateRequest:
    """
    Attributes:
        social_id (UUID):
        is_primary (bool | Unset):  Default: False.
    """

    social_id: UUID
    is_primary: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        social_id = str(self.social_id)

        is_primary = self.is_primary

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "social_id": social_id,
            }
        )
        if is_primary is not UNSET:
            field_dict["is_primary"] = is_primary

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        social_id = UUID(d.pop("social_id"))

        is_primary = d.pop("is_primary", UNSET)

        link_create_request = cls(
            social_id=social_id,
            is_primary=is_primary,
        )

        return link_create_request
