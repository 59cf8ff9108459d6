from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.kb_upsert_response_status_enum import KbUpsertResponseStatusEnum

if TYPE_CHECKING:
    from ..models.kb_document import KbDocument


T = TypeVar("T", bound="KbUpsertResponse")


@_attrs_define
class KbUpsertResponse:
    """
    Attributes:
        status (KbUpsertResponseStatusEnum): * `added` - added
            * `updated` - updated
            * `unchanged` - unchanged
        path (str):
        embeddings_queued (int): Chunks whose (new) content waits for a vector
        documents (list[KbDocument]): The chunks of this path, in order
    """

    status: KbUpsertResponseStatusEnum
    path: str
    embeddings_queued: int
    documents: list[KbDocument]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        path = self.path

        embeddings_queued = self.embeddings_queued

        documents = []
        for documents_item_data in self.documents:
            documents_item = documents_item_data.to_dict()
            documents.append(documents_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "path": path,
                "embeddings_queued": embeddings_queued,
                "documents": documents,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.kb_document import KbDocument  # noqa: PLC0415

        d = dict(src_dict)
        status = KbUpsertResponseStatusEnum(d.pop("status"))

        path = d.pop("path")

        embeddings_queued = d.pop("embeddings_queued")

        documents = []
        _documents = d.pop("documents")
        for documents_item_data in _documents:
            documents_item = KbDocument.from_dict(documents_item_data)

            documents.append(documents_item)

        kb_upsert_response = cls(
            status=status,
            path=path,
            embeddings_queued=embeddings_queued,
            documents=documents,
        )

        kb_upsert_response.additional_properties = d
        return kb_upsert_response

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
