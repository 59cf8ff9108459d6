from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorDetails")


@_attrs_define
class ErrorDetails:
    """Structured context of the error. Validation errors (400) map each field's path to its message; other errors name
    what they are about with the keys below and their own.

        Attributes:
            field (str | Unset): The parameter, header or body path at fault (422)
            current_status (str | Unset): The run's status that forbids the operation
            allowed (list[str] | Unset): The values or transitions that are allowed
            required_scope (str | Unset): The scope the API key lacks (403)
            granted_scopes (list[str] | Unset): The scopes the API key has (403)
            retry_after (int | Unset): Seconds until a retry may succeed (429)
            current_version (int | None | Unset): The checkpoint's version now; null when none exists (412, 428)
            expected_version (int | None | Unset): The version If-Match named; null without If-Match (412, 428)
    """

    field: str | Unset = UNSET
    current_status: str | Unset = UNSET
    allowed: list[str] | Unset = UNSET
    required_scope: str | Unset = UNSET
    granted_scopes: list[str] | Unset = UNSET
    retry_after: int | Unset = UNSET
    current_version: int | None | Unset = UNSET
    expected_version: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        current_status = self.current_status

        allowed: list[str] | Unset = UNSET
        if not isinstance(self.allowed, Unset):
            allowed = self.allowed

        required_scope = self.required_scope

        granted_scopes: list[str] | Unset = UNSET
        if not isinstance(self.granted_scopes, Unset):
            granted_scopes = self.granted_scopes

        retry_after = self.retry_after

        current_version: int | None | Unset
        if isinstance(self.current_version, Unset):
            current_version = UNSET
        else:
            current_version = self.current_version

        expected_version: int | None | Unset
        if isinstance(self.expected_version, Unset):
            expected_version = UNSET
        else:
            expected_version = self.expected_version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if field is not UNSET:
            field_dict["field"] = field
        if current_status is not UNSET:
            field_dict["current_status"] = current_status
        if allowed is not UNSET:
            field_dict["allowed"] = allowed
        if required_scope is not UNSET:
            field_dict["required_scope"] = required_scope
        if granted_scopes is not UNSET:
            field_dict["granted_scopes"] = granted_scopes
        if retry_after is not UNSET:
            field_dict["retry_after"] = retry_after
        if current_version is not UNSET:
            field_dict["current_version"] = current_version
        if expected_version is not UNSET:
            field_dict["expected_version"] = expected_version

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        field = d.pop("field", UNSET)

        current_status = d.pop("current_status", UNSET)

        allowed = cast(list[str], d.pop("allowed", UNSET))

        required_scope = d.pop("required_scope", UNSET)

        granted_scopes = cast(list[str], d.pop("granted_scopes", UNSET))

        retry_after = d.pop("retry_after", UNSET)

        def _parse_current_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        current_version = _parse_current_version(d.pop("current_version", UNSET))

        def _parse_expected_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expected_version = _parse_expected_version(d.pop("expected_version", UNSET))

        error_details = cls(
            field=field,
            current_status=current_status,
            allowed=allowed,
            required_scope=required_scope,
            granted_scopes=granted_scopes,
            retry_after=retry_after,
            current_version=current_version,
            expected_version=expected_version,
        )

        error_details.additional_properties = d
        return error_details

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
