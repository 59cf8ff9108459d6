from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.publication import Publication


T = TypeVar("T", bound="PublishResponse")


@_attrs_define
class PublishResponse:
    """
    Attributes:
        duplicate (bool): True when this content was published before (first result)
        publication (Publication):
    """

    duplicate: bool
    publication: Publication
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        duplicate = self.duplicate

        publication = self.publication.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "duplicate": duplicate,
                "publication": publication,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.publication import Publication  # noqa: PLC0415

        d = dict(src_dict)
        duplicate = d.pop("duplicate")

        publication = Publication.from_dict(d.pop("publication"))

        publish_response = cls(
            duplicate=duplicate,
            publication=publication,
        )

        publish_response.additional_properties = d
        return publish_response

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
