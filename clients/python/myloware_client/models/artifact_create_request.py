from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.citations import Citations
    from ..models.json_object import JsonObject
    from ..models.retrieval_trace import RetrievalTrace


T = TypeVar("T", bound="ArtifactCreateRequest")


@_attrs_define
class ArtifactCreateRequest:
    """
    Attributes:
        type_ (str):
        provider (None | str | Unset):
        url (None | str | Unset):
        checksum (None | str | Unset):
        persona (None | str | Unset):
        retrieval_trace (None | RetrievalTrace | Unset): Required for a retrieval.trace artifact
        metadata (Citations | JsonObject | None | Unset): Citations for a citations artifact, else free JSON
    """

    type_: str
    provider: None | str | Unset = UNSET
    url: None | str | Unset = UNSET
    checksum: None | str | Unset = UNSET
    persona: None | str | Unset = UNSET
    retrieval_trace: None | RetrievalTrace | Unset = UNSET
    metadata: Citations | JsonObject | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.citations import Citations  # noqa: PLC0415
        from ..models.json_object import JsonObject  # noqa: PLC0415
        from ..models.retrieval_trace import RetrievalTrace  # noqa: PLC0415

        type_ = self.type_

        provider: None | str | Unset
        if isinstance(self.provider, Unset):
            provider = UNSET
        else:
            provider = self.provider

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        checksum: None | str | Unset
        if isinstance(self.checksum, Unset):
            checksum = UNSET
        else:
            checksum = self.checksum

        persona: None | str | Unset
        if isinstance(self.persona, Unset):
            persona = UNSET
        else:
            persona = self.persona

        retrieval_trace: dict[str, Any] | None | Unset
        if isinstance(self.retrieval_trace, Unset):
            retrieval_trace = UNSET
        elif isinstance(self.retrieval_trace, RetrievalTrace):
            retrieval_trace = self.retrieval_trace.to_dict()
        else:
            retrieval_trace = self.retrieval_trace

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, Citations):
            metadata = self.metadata.to_dict()
        elif isinstance(self.metadata, JsonObject):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
            }
        )
        if provider is not UNSET:
            field_dict["provider"] = provider
        if url is not UNSET:
            field_dict["url"] = url
        if checksum is not UNSET:
            field_dict["checksum"] = checksum
        if persona is not UNSET:
            field_dict["persona"] = persona
        if retrieval_trace is not UNSET:
            field_dict["retrieval_trace"] = retrieval_trace
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.citations import Citations  # noqa: PLC0415
        from ..models.json_object import JsonObject  # noqa: PLC0415
        from ..models.retrieval_trace import RetrievalTrace  # noqa: PLC0415

        d = dict(src_dict)
        type_ = d.pop("type")

        def _parse_provider(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        provider = _parse_provider(d.pop("provider", UNSET))

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        def _parse_checksum(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        checksum = _parse_checksum(d.pop("checksum", UNSET))

        def _parse_persona(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        persona = _parse_persona(d.pop("persona", UNSET))

        def _parse_retrieval_trace(data: object) -> None | RetrievalTrace | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                retrieval_trace_type_0 = RetrievalTrace.from_dict(data)

                return retrieval_trace_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RetrievalTrace | Unset, data)

        retrieval_trace = _parse_retrieval_trace(d.pop("retrieval_trace", UNSET))

        def _parse_metadata(data: object) -> Citations | JsonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = Citations.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_1 = JsonObject.from_dict(data)

                return metadata_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Citations | JsonObject | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        artifact_create_request = cls(
            type_=type_,
            provider=provider,
            url=url,
            checksum=checksum,
            persona=persona,
            retrieval_trace=retrieval_trace,
            metadata=metadata,
        )

        return artifact_create_request
