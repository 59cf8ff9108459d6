from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.citations import Citations
    from ..models.json_object import JsonObject
    from ..models.retrieval_trace import RetrievalTrace


T = TypeVar("T", bound="Artifact")


@_attrs_define
class Artifact:
    """
    Attributes:
        id (UUID):
        run_id (str):
        type_ (str):
        provider (None | str):
        url (None | str):
        checksum (None | str):
        persona (None | str):
        retrieval_trace (None | RetrievalTrace):
        metadata (Citations | JsonObject):
        created_at (datetime.datetime):
    """

    id: UUID
    run_id: str
    type_: str
    provider: None | str
    url: None | str
    checksum: None | str
    persona: None | str
    retrieval_trace: None | RetrievalTrace
    metadata: Citations | JsonObject
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.citations import Citations  # noqa: PLC0415
        from ..models.retrieval_trace import RetrievalTrace  # noqa: PLC0415

        id = str(self.id)

        run_id = self.run_id

        type_ = self.type_

        provider: None | str
        provider = self.provider

        url: None | str
        url = self.url

        checksum: None | str
        checksum = self.checksum

        persona: None | str
        persona = self.persona

        retrieval_trace: dict[str, Any] | None
        if isinstance(self.retrieval_trace, RetrievalTrace):
            retrieval_trace = self.retrieval_trace.to_dict()
        else:
            retrieval_trace = self.retrieval_trace

        metadata: dict[str, Any]
        if isinstance(self.metadata, Citations):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata.to_dict()

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "run_id": run_id,
                "type": type_,
                "provider": provider,
                "url": url,
                "checksum": checksum,
                "persona": persona,
                "retrieval_trace": retrieval_trace,
                "metadata": metadata,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.citations import Citations  # noqa: PLC0415
        from ..models.json_object import JsonObject  # noqa: PLC0415
        from ..models.retrieval_trace import RetrievalTrace  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        run_id = d.pop("run_id")

        type_ = d.pop("type")

        def _parse_provider(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        provider = _parse_provider(d.pop("provider"))

        def _parse_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        url = _parse_url(d.pop("url"))

        def _parse_checksum(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        checksum = _parse_checksum(d.pop("checksum"))

        def _parse_persona(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        persona = _parse_persona(d.pop("persona"))

        def _parse_retrieval_trace(data: object) -> None | RetrievalTrace:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                retrieval_trace_type_0 = RetrievalTrace.from_dict(data)

                return retrieval_trace_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RetrievalTrace, data)

        retrieval_trace = _parse_retrieval_trace(d.pop("retrieval_trace"))

        def _parse_metadata(data: object) -> Citations | JsonObject:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = Citations.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            metadata_type_1 = JsonObject.from_dict(data)

            return metadata_type_1

        metadata = _parse_metadata(d.pop("metadata"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        artifact = cls(
            id=id,
            run_id=run_id,
            type_=type_,
            provider=provider,
            url=url,
            checksum=checksum,
            persona=persona,
            retrieval_trace=retrieval_trace,
            metadata=metadata,
            created_at=created_at,
        )

        artifact.additional_properties = d
        return artifact

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
