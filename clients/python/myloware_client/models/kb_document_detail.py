from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.embedding_status_enum import EmbeddingStatusEnum

T = TypeVar("T", bound="KbDocumentDetail")


@_attrs_define
class KbDocumentDetail:
    """
    Attributes:
        id (UUID):
        path (str):
        chunk_index (int):  Default: 0.
        chunk_count (int):
        project (None | str):
        persona (None | str):
        content_hash (str):
        embedding_status (EmbeddingStatusEnum): * `pending` - waiting for its vector
            * `embedding` - claimed by an embedding job
            * `ready` - embedded
            * `failed` - embedding failed
        embedding_model (str):
        waiting_for_vector (bool): True until the document has a vector of the active embedding model
        embedding_error (str):
        embedded_at (datetime.datetime | None):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        content (str):
    """

    id: UUID
    path: str
    chunk_count: int
    project: None | str
    persona: None | str
    content_hash: str
    embedding_status: EmbeddingStatusEnum
    embedding_model: str
    waiting_for_vector: bool
    embedding_error: str
    embedded_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    content: str
    chunk_index: int = 0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        path = self.path

        chunk_index = self.chunk_index

        chunk_count = self.chunk_count

        project: None | str
        project = self.project

        persona: None | str
        persona = self.persona

        content_hash = self.content_hash

        embedding_status = self.embedding_status.value

        embedding_model = self.embedding_model

        waiting_for_vector = self.waiting_for_vector

        embedding_error = self.embedding_error

        embedded_at: None | str
        if isinstance(self.embedded_at, datetime.datetime):
            embedded_at = self.embedded_at.isoformat()
        else:
            embedded_at = self.embedded_at

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        content = self.content

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "path": path,
                "chunk_index": chunk_index,
                "chunk_count": chunk_count,
                "project": project,
                "persona": persona,
                "content_hash": content_hash,
                "embedding_status": embedding_status,
                "embedding_model": embedding_model,
                "waiting_for_vector": waiting_for_vector,
                "embedding_error": embedding_error,
                "embedded_at": embedded_at,
                "created_at": created_at,
                "updated_at": updated_at,
                "content": content,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        path = d.pop("path")

        chunk_index = d.pop("chunk_index")

        chunk_count = d.pop("chunk_count")

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

        content_hash = d.pop("content_hash")

        embedding_status = EmbeddingStatusEnum(d.pop("embedding_status"))

        embedding_model = d.pop("embedding_model")

        waiting_for_vector = d.pop("waiting_for_vector")

        embedding_error = d.pop("embedding_error")

        def _parse_embedded_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                embedded_at_type_0 = datetime.datetime.fromisoformat(data)

                return embedded_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        embedded_at = _parse_embedded_at(d.pop("embedded_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        content = d.pop("content")

        kb_document_detail = cls(
            id=id,
            path=path,
            chunk_index=chunk_index,
            chunk_count=chunk_count,
            project=project,
            persona=persona,
            content_hash=content_hash,
            embedding_status=embedding_status,
            embedding_model=embedding_model,
            waiting_for_vector=waiting_for_vector,
            embedding_error=embedding_error,
            embedded_at=embedded_at,
            created_at=created_at,
            updated_at=updated_at,
            content=content,
        )

        kb_document_detail.additional_properties = d
        return kb_document_detail

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
