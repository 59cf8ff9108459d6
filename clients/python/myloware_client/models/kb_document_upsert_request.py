from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="KbDocumentUpsertRequest")


@_attrs_define
class KbDocumentUpsertRequest:
    """
    Attributes:
        path (str): Source path; scope derives from projects/<p>/, personas/<p>/
        content (str): Markdown/text; JSON text when the path ends in .json (422 otherwise)
        project (None | str | Unset): Overrides the path
        persona (None | str | Unset): Overrides the path
    """

    path: str
    content: str
    project: None | str | Unset = UNSET
    persona: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        path = self.path

        content = self.content

        project: None | str | Unset
        if isinstance(self.project, Unset):
            project = UNSET
        else:
            project = self.project

        persona: None | str | Unset
        if isinstance(self.persona, Unset):
            persona = UNSET
        else:
            persona = self.persona

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "path": path,
                "content": content,
            }
        )
        if project is not UNSET:
            field_dict["project"] = project
        if persona is not UNSET:
            field_dict["persona"] = persona

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        path = d.pop("path")

        content = d.pop("content")

        def _parse_project(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        project = _parse_project(d.pop("project", UNSET))

        def _parse_persona(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        persona = _parse_persona(d.pop("persona", UNSET))

        kb_document_upsert_request = cls(
            path=path,
            content=content,
            project=project,
            persona=persona,
        )

        return kb_document_upsert_request
