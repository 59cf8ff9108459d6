"""REST API of the knowledge base: document upsert/list/delete and search."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from knowledge import selectors, services
from knowledge.models import KbDocument
from myloware.api.input import NON_BLANK_PATTERN, WHITESPACE, parse_bool_param
from myloware.api.models import Scope
from myloware.api.pagination import PAGE_PARAMETERS, keyset_page, page_serializer
from myloware.api.request import actor_for
from myloware.api.schema import errors, state_rules
from myloware.api.scopes import requires_scope
from myloware.api.serializers import StrictInputSerializer
from myloware.api.tags import Tag

# A relative path: something besides whitespace and slashes (knowledge.services cleans the rest).
_PATH_PATTERN = rf"^[^\u0000]*[^{WHITESPACE}\u0000/\\][^\u0000]*$"
# A path that ends in .json once cleaned (knowledge.services._clean_path strips whitespace, then
# slashes and backslashes): its content must be JSON text (knowledge.text.render_source; 422
# otherwise). contentMediaType is only an annotation in JSON Schema 2020-12: no validator asserts
# it and Schemathesis does not generate from it (schemathesis.toml allows this 422).
_JSON_SUFFIX = rf"\.[Jj][Ss][Oo][Nn][/\\]*[{WHITESPACE}]*$"
state_rules(
    "KbDocumentUpsertRequest",
    {
        "if": {"required": ["path"], "properties": {"path": {"pattern": _JSON_SUFFIX}}},
        "then": {"properties": {"content": {"contentMediaType": "application/json"}}},
    },
)


class KbDocumentSerializer(serializers.ModelSerializer):
    waiting_for_vector = serializers.BooleanField(
        read_only=True, help_text="True until the document has a vector of the active embedding model"
    )

    class Meta:
        model = KbDocument
        fields = [
            "id",
            "path",
            "chunk_index",
            "chunk_count",
            "project",
            "persona",
            "content_hash",
            "embedding_status",
            "embedding_model",
            "waiting_for_vector",
            "embedding_error",
            "embedded_at",
            "created_at",
            "updated_at",
        ]
        # An answer only: every field is read-only, so the document lists each as always present.
        read_only_fields = fields


class KbDocumentDetailSerializer(KbDocumentSerializer):
    class Meta(KbDocumentSerializer.Meta):
        fields = [*KbDocumentSerializer.Meta.fields, "content"]
        read_only_fields = fields


class KbDocumentUpsertSerializer(StrictInputSerializer):
    path = serializers.RegexField(
        _PATH_PATTERN,
        max_length=1000,
        help_text="Source path; scope derives from projects/<p>/, personas/<p>/",
    )
    content = serializers.RegexField(
        NON_BLANK_PATTERN, help_text="Markdown/text; JSON text when the path ends in .json (422 otherwise)"
    )
    project = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Overrides the path"
    )
    persona = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Overrides the path"
    )


class KbUpsertResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["added", "updated", "unchanged"])
    path = serializers.CharField()
    embeddings_queued = serializers.IntegerField(help_text="Chunks whose (new) content waits for a vector")
    documents = KbDocumentSerializer(many=True, help_text="The chunks of this path, in order")


class KbSearchSerializer(StrictInputSerializer):
    query = serializers.RegexField(NON_BLANK_PATTERN, max_length=4000)
    k = serializers.IntegerField(default=5, min_value=1, max_value=services.MAX_K)
    project = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    persona = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    mode = serializers.ChoiceField(
        choices=list(services.SEARCH_MODES), default="vector", help_text="vector | hybrid (| fulltext)"
    )
    run_id = serializers.CharField(
        required=False, allow_null=True, help_text="Record retrieval.trace + citations artifacts on this run"
    )


class KbSearchHitSerializer(serializers.Serializer):
    doc_id = serializers.CharField()
    path = serializers.CharField()
    chunk_index = serializers.IntegerField()
    project = serializers.CharField(allow_null=True)
    persona = serializers.CharField(allow_null=True)
    score = serializers.FloatField(
        help_text="Cosine similarity (vector), RRF score (hybrid), ts_rank (fulltext)"
    )
    similarity = serializers.FloatField(allow_null=True, help_text="Cosine similarity; null without a vector")
    snippet = serializers.CharField()
    reason = serializers.CharField()


class KbSearchResponseSerializer(serializers.Serializer):
    results = KbSearchHitSerializer(many=True)
    latency_ms = serializers.FloatField()
    mode = serializers.ChoiceField(choices=list(services.SEARCH_MODES))
    model = serializers.CharField(help_text="The embedding model whose vectors were compared")
    trace_id = serializers.CharField(allow_null=True, help_text="The retrieval.trace artifact (with run_id)")
    citations_id = serializers.CharField(allow_null=True, help_text="The citations artifact (with run_id)")


class KbDeleteResponseSerializer(serializers.Serializer):
    path = serializers.CharField()
    deleted = serializers.IntegerField(help_text="Rows removed: every chunk of the document's source path")


class KbDocumentsView(APIView):
    @extend_schema(
        operation_id="kb_documents_list",
        summary="List knowledge documents (chunks) with their embedding status",
        parameters=[
            OpenApiParameter("pending", bool, description="Only documents still waiting for their vector"),
            OpenApiParameter("project", str, description="Exact project"),
            OpenApiParameter("persona", str, description="Exact persona"),
            OpenApiParameter("path", str, description="Exact source path"),
            *PAGE_PARAMETERS,
        ],
        responses={
            200: OpenApiResponse(
                page_serializer(KbDocumentSerializer, "KbDocumentPage"), description="One page of documents"
            ),
            **errors({422: "A filter, the cursor or limit is invalid"}),
        },
        tags=[Tag.KNOWLEDGE],
    )
    @requires_scope(Scope.KB_READ)
    def get(self, request: Request) -> Response:
        params = request.query_params
        documents = selectors.documents(
            pending=bool(parse_bool_param("pending", params.get("pending"))),
            project=params.get("project"),
            persona=params.get("persona"),
            path=params.get("path"),
        )
        page = keyset_page(
            request,
            documents,
            descending=True,
            serialize=lambda rows: KbDocumentSerializer(rows, many=True).data,
        )
        return Response(page)

    @extend_schema(
        operation_id="kb_documents_upsert",
        summary="Create or replace a document by path (chunked; only changed chunks re-embedded)",
        request=KbDocumentUpsertSerializer,
        responses={
            201: OpenApiResponse(KbUpsertResponseSerializer, description="A new document (status added)"),
            200: OpenApiResponse(
                KbUpsertResponseSerializer, description="An existing path: status updated or unchanged"
            ),
            **errors(
                {
                    413: "The content is larger than KB_INGEST_MAX_FILE_BYTES",
                    422: "An empty path or content, or content of a .json path that is not JSON",
                }
            ),
        },
        tags=[Tag.KNOWLEDGE],
    )
    @requires_scope(Scope.KB_WRITE)
    def post(self, request: Request) -> Response:
        body = KbDocumentUpsertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.kb_document_upsert(**body.validated_data, actor=actor_for(request))
        data = {
            "status": result.status,
            "path": result.path,
            "embeddings_queued": result.embeddings_queued,
            "documents": KbDocumentSerializer(
                # Embedding may already have run (synchronous workers): show the current status.
                selectors.documents_by_ids([doc.pk for doc in result.documents]),
                many=True,
            ).data,
        }
        return Response(
            data, status=status.HTTP_201_CREATED if result.status == "added" else status.HTTP_200_OK
        )


class KbDocumentView(APIView):
    @extend_schema(
        operation_id="kb_documents_retrieve",
        summary="One knowledge document (chunk) with its content",
        responses={
            200: OpenApiResponse(KbDocumentDetailSerializer, description="The document with its content"),
            **errors({404: "No document with this id"}),
        },
        tags=[Tag.KNOWLEDGE],
    )
    @requires_scope(Scope.KB_READ)
    def get(self, request: Request, doc_id: Any) -> Response:
        return Response(KbDocumentDetailSerializer(selectors.document_get(doc_id=doc_id)).data)

    @extend_schema(
        operation_id="kb_documents_delete",
        summary="Delete a document: every chunk of its source path",
        responses={
            200: OpenApiResponse(
                KbDeleteResponseSerializer, description="Deleted: the path and how many chunks"
            ),
            **errors({404: "No document with this id"}),
        },
        tags=[Tag.KNOWLEDGE],
    )
    @requires_scope(Scope.KB_WRITE)
    def delete(self, request: Request, doc_id: Any) -> Response:
        path = selectors.document_get(doc_id=doc_id).path
        deleted = services.kb_document_delete(doc_id=str(doc_id), actor=actor_for(request))
        return Response({"path": path, "deleted": deleted})


class KbSearchView(APIView):
    @extend_schema(
        operation_id="kb_search",
        summary="Top-k search (vector or hybrid) within a project/persona scope plus global documents",
        request=KbSearchSerializer,
        responses={
            200: OpenApiResponse(KbSearchResponseSerializer, description="The hits, best first"),
            **errors(
                {
                    404: "run_id names no run",
                    422: "A blank query, or a mode this server does not offer",
                    503: "The embedding backend is unavailable (vector and hybrid modes)",
                }
            ),
        },
        tags=[Tag.KNOWLEDGE],
    )
    @requires_scope(Scope.KB_READ)
    def post(self, request: Request) -> Response:
        body = KbSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        response = services.kb_search(**body.validated_data, actor=actor_for(request))
        results = [
            {
                "doc_id": hit.doc_id,
                "path": hit.path,
                "chunk_index": hit.chunk_index,
                "project": hit.project,
                "persona": hit.persona,
                "score": hit.score,
                "similarity": hit.similarity,
                "snippet": hit.snippet,
                "reason": hit.reason,
            }
            for hit in response.hits
        ]
        return Response(
            {
                "results": results,
                "latency_ms": round(response.latency_ms, 3),
                "mode": response.mode,
                "model": response.model,
                "trace_id": response.trace_id,
                "citations_id": response.citations_id,
            }
        )
