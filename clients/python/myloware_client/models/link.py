from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.social import Social


T = TypeVar("T", bound="Link")


@_attrs_define
class Link:
    """
    Attributes:
        id (UUID):
        project (str):
        is_primary (bool):
        created_at (datetime.datetime):
        social (Social):
    """

    id: UUID
    project: str
    is_primary: bool
    created_at: datetime.datetime
    social: Social
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        project = self.project

        is_primary = self.is_primary

        created_at = self.created_at.isoformat()

        social = self.social.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "project": project,
                "is_primary": is_primary,
                "created_at": created_at,
                "social": social,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.social import Social  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        project = d.pop("project")

        is_primary = d.pop("is_primary")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        social = Social.from_dict(d.pop("social"))

        link = cls(
            id=id,
            project=project,
            is_primary=is_primary,
            created_at=created_at,
            social=social,
        )

        link.additional_properties = d
        return link

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
