from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.scope_enum import ScopeEnum

T = TypeVar("T", bound="Me")


@_attrs_define
class Me:
    """
    Attributes:
        name (str):
        prefix (str):
        actor (str): The name decisions and transitions record
        scopes (list[ScopeEnum]):
        legacy_full_access (bool): created before scopes existed and given every scope by migration
    """

    name: str
    prefix: str
    actor: str
    scopes: list[ScopeEnum]
    legacy_full_access: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        prefix = self.prefix

        actor = self.actor

        scopes = []
        for scopes_item_data in self.scopes:
            scopes_item = scopes_item_data.value
            scopes.append(scopes_item)

        legacy_full_access = self.legacy_full_access

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "prefix": prefix,
                "actor": actor,
                "scopes": scopes,
                "legacy_full_access": legacy_full_access,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        prefix = d.pop("prefix")

        actor = d.pop("actor")

        scopes = []
        _scopes = d.pop("scopes")
        for scopes_item_data in _scopes:
            scopes_item = ScopeEnum(scopes_item_data)

            scopes.append(scopes_item)

        legacy_full_access = d.pop("legacy_full_access")

        me = cls(
            name=name,
            prefix=prefix,
            actor=actor,
            scopes=scopes,
            legacy_full_access=legacy_full_access,
        )

        me.additional_properties = d
        return me

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
