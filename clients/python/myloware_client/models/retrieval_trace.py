from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RetrievalTrace")


@_attrs_define
class RetrievalTrace:
    """One knowledge-base search: what was asked, which documents came back, how similar

    Attributes:
        query (str):
        doc_ids (list[str]): The documents found, best first
        similarities (list[float]): Cosine similarity of each of docIds, in the same order (as many)
        persona (None | str):
        project (None | str):
    """

    query: str
    doc_ids: list[str]
    similarities: list[float]
    persona: None | str
    project: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        query = self.query

        doc_ids = self.doc_ids

        similarities = self.similarities

        persona: None | str
        persona = self.persona

        project: None | str
        project = self.project

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "query": query,
                "docIds": doc_ids,
                "similarities": similarities,
                "persona": persona,
                "project": project,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        query = d.pop("query")

        doc_ids = cast(list[str], d.pop("docIds"))

        similarities = cast(list[float], d.pop("similarities"))

        def _parse_persona(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        persona = _parse_persona(d.pop("persona"))

        def _parse_project(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        project = _parse_project(d.pop("project"))

        retrieval_trace = cls(
            query=query,
            doc_ids=doc_ids,
            similarities=similarities,
            persona=persona,
            project=project,
        )

        retrieval_trace.additional_properties = d
        return retrieval_trace

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
