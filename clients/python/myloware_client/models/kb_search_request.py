from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.mode_enum import ModeEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="KbSearchRequest")


@_attrs_define
class KbSearchRequest:
    """
    Attributes:
        query (str):
        k (int | Unset):  Default: 5.
        project (None | str | Unset):
        persona (None | str | Unset):
        mode (ModeEnum | Unset): * `vector` - vector
            * `hybrid` - hybrid
            * `fulltext` - fulltext Default: ModeEnum.VECTOR.
        run_id (None | str | Unset): Record retrieval.trace + citations artifacts on this run
    """

    query: str
    k: int | Unset = 5
    project: None | str | Unset = UNSET
    persona: None | str | Unset = UNSET
    mode: ModeEnum | Unset = ModeEnum.VECTOR
    run_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        query = self.query

        k = self.k

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

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        run_id: None | str | Unset
        if isinstance(self.run_id, Unset):
            run_id = UNSET
        else:
            run_id = self.run_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "query": query,
            }
        )
        if k is not UNSET:
            field_dict["k"] = k
        if project is not UNSET:
            field_dict["project"] = project
        if persona is not UNSET:
            field_dict["persona"] = persona
        if mode is not UNSET:
            field_dict["mode"] = mode
        if run_id is not UNSET:
            field_dict["run_id"] = run_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        query = d.pop("query")

        k = d.pop("k", UNSET)

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

        _mode = d.pop("mode", UNSET)
        mode: ModeEnum | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = ModeEnum(_mode)

        def _parse_run_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        run_id = _parse_run_id(d.pop("run_id", UNSET))

        kb_search_request = cls(
            query=query,
            k=k,
            project=project,
            persona=persona,
            mode=mode,
            run_id=run_id,
        )

        return kb_search_request
