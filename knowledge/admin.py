"""Admin of the knowledge base: documents with embedding status, a search page, re-embed action.

Vectors are never rendered (1536 floats help nobody and cost a TOAST read per row).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from knowledge.embedding import active_model
from knowledge.models import EmbeddingStatus, KbDocument, KbDocumentQuerySet, KbEmbedding
from knowledge.selectors import scope_values
from knowledge.services import MAX_K, SEARCH_MODES, kb_reembed, kb_search
from myloware.admin_utils import BigTableAdminMixin, pretty_body
from myloware.api.request import actor_for
from myloware.lib.errors import DomainError
from myloware.lib.text import counted


class ScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("global", "global (no project, no persona)"), ("project", "project"), ("persona", "persona")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "global":
            return queryset.filter(project__isnull=True, persona__isnull=True)
        if self.value() == "project":
            return queryset.filter(project__isnull=False)
        if self.value() == "persona":
            return queryset.filter(persona__isnull=False)
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    title = "vector of the active model"
    parameter_name = "vector"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("waiting", "waiting for its vector"), ("current", "embedded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # The changelist of KbDocumentAdmin starts from KbDocument.objects, a KbDocumentQuerySet.
        documents = cast(KbDocumentQuerySet, queryset)
        if self.value() == "waiting":
            return documents.waiting_for_vector(active_model())
        if self.value() == "current":
            return documents.embedded_with(active_model())
        return queryset


@admin.register(KbDocument)
class KbDocumentAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("path", "chunk_index", "project", "persona", "embedding", "updated_at")
    list_filter = (WaitingFilter, "embedding_status", ScopeFilter, "project", "persona")
    search_fields = ("path",)
    ordering = ("path", "chunk_index")
    actions = ["reembed_selected"]
    fields = (
        "path",
        "chunk_index",
        "chunk_count",
        "project",
        "persona",
        "content_preview",
        "content_hash",
        "source_hash",
        "embedding_status",
        "embedding_model",
        "embedding_attempts",
        "embedding_error",
        "embedded_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = cast(KbDocumentQuerySet, super().get_queryset(request)).with_vector_state(active_model())
        # The changelist needs no content (TOAST reads); the change page shows it.
        return (
            queryset
            if request.resolver_match and "object_id" in request.resolver_match.kwargs
            else queryset.defer("content")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # documents come from kb_ingest and the API, chunked and hashed

    @admin.display(description="embedding", ordering="embedding_status")
    def embedding(self, doc: KbDocument) -> str:
        # Ready yet waiting: its vector is of another model than the active one.
        stale = doc.embedding_status == EmbeddingStatus.READY and doc.waiting_for_vector
        label = "stale model" if stale else doc.embedding_status
        # Coloured by console.css (.embedding-ready, -pending, -embedding, -failed, -stale).
        tone = "stale" if stale else doc.embedding_status
        return format_html('<span class="embedding embedding-{}">{}</span>', tone, label)

    @admin.display(description="content")
    def content_preview(self, doc: KbDocument) -> str:
        return pretty_body(doc.content)

    @admin.action(description="Re-embed selected documents", permissions=["change"])
    def reembed_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = kb_reembed(
            actor=actor_for(request), doc_ids=[str(pk) for pk in queryset.values_list("pk", flat=True)]
        )
        self.message_user(
            request,
            f"{counted(len(ids), 'document')} queued for embedding with {active_model()}",
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        search = path(
            "search/", self.admin_site.admin_view(self.search_view), name="knowledge_kbdocument_search"
        )
        return [search, *super().get_urls()]

    def search_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = None
        if request.GET:
            data = request.GET.copy()  # the floor in force is shown in its field
            data.setdefault("min_similarity", str(settings.KB_SEARCH_MIN_SIMILARITY))
        form = KbSearchForm(data)
        response, error = None, None
        if form.is_valid():
            try:
                response = kb_search(**form.cleaned_data, actor=actor_for(request))
            except DomainError as exc:
                error = exc.message
        context = {
            **self.admin_site.each_context(request),
            "title": "Search the knowledge base",
            "opts": self.model._meta,
            "form": form,
            "response": response,
            "error": error,
            "changelist_url": reverse("admin:knowledge_kbdocument_changelist"),
            "model": active_model(),
            "response_query": form.cleaned_data["query"] if response else "",
            "floor": form.cleaned_data.get("min_similarity") if response else None,
        }
        return TemplateResponse(request, "admin/knowledge/search.html", context)


class KbSearchForm(forms.Form):
    query = forms.CharField(max_length=4000, widget=forms.TextInput(attrs={"size": 60, "autofocus": True}))
    project = forms.ChoiceField(required=False)
    persona = forms.ChoiceField(required=False)
    k = forms.IntegerField(min_value=1, max_value=MAX_K, initial=5)
    mode = forms.ChoiceField(choices=[(mode, mode) for mode in SEARCH_MODES], initial="hybrid")
    min_similarity = forms.FloatField(
        label="relevance floor (cosine)",
        min_value=-1.0,
        max_value=1.0,
        required=False,
        help_text="Hits whose words did not match and whose cosine is lower are not shown",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        projects, personas = scope_values()
        cast(forms.ChoiceField, self.fields["project"]).choices = [("", "all documents")] + [
            (p, p) for p in projects
        ]
        cast(forms.ChoiceField, self.fields["persona"]).choices = [("", "all documents")] + [
            (p, p) for p in personas
        ]
        self.fields["min_similarity"].initial = settings.KB_SEARCH_MIN_SIMILARITY

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (the stubs say it may be None)
        for name in ("project", "persona"):
            data[name] = data.get(name) or None
        if data.get("min_similarity") is None:
            data["min_similarity"] = settings.KB_SEARCH_MIN_SIMILARITY
        return data


@admin.register(KbEmbedding)
class KbEmbeddingAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("doc", "model", "created_at")
    list_filter = ("model",)
    search_fields = ("doc__path",)
    list_select_related = ("doc",)
    # "embedding" is deliberately absent: the vector is never rendered.
    fields = ("doc_link", "model", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("embedding", "doc__content")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="document")
    def doc_link(self, embedding: KbEmbedding) -> str:
        url = reverse("admin:knowledge_kbdocument_change", args=[embedding.doc_id])
        return format_html('<a href="{}">{}</a>', url, embedding.doc)
