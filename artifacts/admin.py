"""Artifacts in the admin: a big table (no COUNT(*), estimated pagination, no DISTINCT scans)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from artifacts.models import Artifact, ArtifactType
from myloware.admin_utils import BigTableAdminMixin, pretty_json, safe_link


class FixedValuesFilter(admin.SimpleListFilter):
    """Filter on a fixed list of known values: the default filter would scan millions of rows
    for SELECT DISTINCT on every changelist load."""

    values: tuple[str, ...] = ()
    parameter_name: str  # every subclass sets it (SimpleListFilter refuses to start without one)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, value) for value in self.values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Artifact]) -> QuerySet[Artifact]:
        value = self.value()
        return queryset.filter(**{self.parameter_name: value}) if value else queryset


class TypeFilter(FixedValuesFilter):
    title = "type"
    parameter_name = "type"
    values = tuple(
        kind.value
        for kind in (
            ArtifactType.IDEA,
            ArtifactType.SCRIPT,
            ArtifactType.CLIP,
            ArtifactType.RENDER_URL,
            ArtifactType.PUBLISH_URL,
            ArtifactType.NOTIFICATION,
            ArtifactType.HITL_APPROVAL,
            ArtifactType.RETRIEVAL_TRACE,
            ArtifactType.CITATIONS,
            ArtifactType.ERROR,
        )
    )


class PersonaFilter(FixedValuesFilter):
    title = "persona"
    parameter_name = "persona"
    values = ("iggy", "riley", "alex", "quinn", "brendan")


class ProviderFilter(FixedValuesFilter):
    title = "provider"
    parameter_name = "provider"
    values = ("kieai", "shotstack", "upload-post", "brendan", "iggy")


@admin.register(Artifact)
class ArtifactAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "run", "type", "persona", "provider", "link")
    list_filter = (TypeFilter, PersonaFilter, ProviderFilter)
    search_fields = ("=run__run_id", "=checksum")
    ordering = ("-created_at", "-id")
    list_select_related = False
    readonly_fields = (
        "id",
        "run",
        "type",
        "provider",
        "url_link",
        "checksum",
        "persona",
        "trace_pretty",
        "metadata_pretty",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description="url")
    def link(self, obj: Artifact) -> str:
        return safe_link(obj.url)

    @admin.display(description="url")
    def url_link(self, obj: Artifact) -> str:
        return safe_link(obj.url)

    @admin.display(description="retrieval trace")
    def trace_pretty(self, obj: Artifact) -> str:
        return pretty_json(obj.retrieval_trace)

    @admin.display(description="metadata")
    def metadata_pretty(self, obj: Artifact) -> str:
        return pretty_json(obj.metadata)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # artifacts are recorded by the pipeline through artifact_create

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an approval is bound to the content it saw: artifacts are not edited here
