from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.gate_name_enum import GateNameEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="GateOpenRequest")


@_attrs_define
class GateOpenRequest:
    """
    Attributes:
        gate (GateNameEnum): * `workflow` - Workflow
            * `ideate` - Ideate
            * `prepublish` - Prepublish
        summary (str | Unset):  Default: ''.
        artifact_ids (list[UUID] | None | Unset): Artifacts of this run under review (default: all of them); unknown ids
            are a 404
    """

    gate: GateNameEnum
    summary: str | Unset = ""
    artifact_ids: list[UUID] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        gate = self.gate.value

        summary = self.summary

        artifact_ids: list[str] | None | Unset
        if isinstance(self.artifact_ids, Unset):
            artifact_ids = UNSET
        elif isinstance(self.artifact_ids, list):
            artifact_ids = []
            for artifact_ids_type_0_item_data in self.artifact_ids:
                artifact_ids_type_0_item = str(artifact_ids_type_0_item_data)
                artifact_ids.append(artifact_ids_type_0_item)

        else:
            artifact_ids = self.artifact_ids

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "gate": gate,
            }
        )
        if summary is not UNSET:
            field_dict["summary"] = summary
        if artifact_ids is not UNSET:
            field_dict["artifact_ids"] = artifact_ids

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        gate = GateNameEnum(d.pop("gate"))

        summary = d.pop("summary", UNSET)

        def _parse_artifact_ids(data: object) -> list[UUID] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                artifact_ids_type_0 = []
                _artifact_ids_type_0 = data
                for artifact_ids_type_0_item_data in _artifact_ids_type_0:
                    artifact_ids_type_0_item = UUID(artifact_ids_type_0_item_data)

                    artifact_ids_type_0.append(artifact_ids_type_0_item)

                return artifact_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[UUID] | None | Unset, data)

        artifact_ids = _parse_artifact_ids(d.pop("artifact_ids", UNSET))

        gate_open_request = cls(
            gate=gate,
            summary=summary,
            artifact_ids=artifact_ids,
        )

        return gate_open_request
