from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="KbSearchHit")


@_attrs_define
class KbSearchHit:
    """
    Attributes:
        doc_id (str):
        path (str):
        chunk_index (int):
        project (None | str):
        persona (None | str):
        score (float): Cosine similarity (vector), RRF score (hybrid), ts_rank (fulltext)
        similarity (float | None): Cosine similarity; null without a vector
        snippet (str):
        reason (str):
    """

    doc_id: str
    path: str
    chunk_index: int
    project: None | str
    persona: None | str
    score: float
    similarity: float | None
    snippet: str
    reason: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        doc_id = self.doc_id

        path = self.path

        chunk_index = self.chunk_index

        project: None | str
        project = self.project

        persona: None | str
        persona = self.persona

        score = self.score

        similarity: float | None
        similarity = self.similarity

        snippet = self.snippet

        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "doc_id": doc_id,
                "path": path,
                "chunk_index": chunk_index,
                "project": project,
                "persona": persona,
                "score": score,
                "similarity": similarity,
                "snippet": snippet,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        doc_id = d.pop("doc_id")

        path = d.pop("path")

        chunk_index = d.pop("chunk_index")

        def _parse_project(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        project = _parse_project(d.pop("project"))

        def _parse_persona(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        persona = _parse_persona(d.pop("persona"))

        score = d.pop("score")

        def _parse_similarity(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        similarity = _parse_similarity(d.pop("similarity"))

        snippet = d.pop("snippet")

        reason = d.pop("reason")

        kb_search_hit = cls(
            doc_id=doc_id,
            path=path,
            chunk_index=chunk_index,
            project=project,
            persona=persona,
            score=score,
            similarity=similarity,
            snippet=snippet,
            reason=reason,
        )

        kb_search_hit.additional_properties = d
        return kb_search_hit

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
