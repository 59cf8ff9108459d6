from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.mode_enum import ModeEnum

if TYPE_CHECKING:
    from ..models.kb_search_hit import KbSearchHit


T = TypeVar("T", bound="KbSearchResponse")


@_attrs_define
class KbSearchResponse:
    """
    Attributes:
        results (list[KbSearchHit]):
        latency_ms (float):
        mode (ModeEnum): * `vector` - vector
            * `hybrid` - hybrid
            * `fulltext` - fulltext
        model (str): The embedding model whose vectors were compared
        trace_id (None | str): The retrieval.trace artifact (with run_id)
        citations_id (None | str): The citations artifact (with run_id)
    """

    results: list[KbSearchHit]
    latency_ms: float
    mode: ModeEnum
    model: str
    trace_id: None | str
    citations_id: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        latency_ms = self.latency_ms

        mode = self.mode.value

        model = self.model

        trace_id: None | str
        trace_id = self.trace_id

        citations_id: None | str
        citations_id = self.citations_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "results": results,
                "latency_ms": latency_ms,
                "mode": mode,
                "model": model,
                "trace_id": trace_id,
                "citations_id": citations_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.kb_search_hit import KbSearchHit  # noqa: PLC0415

        d = dict(src_dict)
        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = KbSearchHit.from_dict(results_item_data)

            results.append(results_item)

        latency_ms = d.pop("latency_ms")

        mode = ModeEnum(d.pop("mode"))

        model = d.pop("model")

        def _parse_trace_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        trace_id = _parse_trace_id(d.pop("trace_id"))

        def _parse_citations_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        citations_id = _parse_citations_id(d.pop("citations_id"))

        kb_search_response = cls(
            results=results,
            latency_ms=latency_ms,
            mode=mode,
            model=model,
            trace_id=trace_id,
            citations_id=citations_id,
        )

        kb_search_response.additional_properties = d
        return kb_search_response

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
