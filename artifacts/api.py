"""REST API of artifacts: per run (create, list oldest first) and across runs (newest first)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artifacts import selectors
from artifacts.models import Artifact, ArtifactType
from artifacts.services import MAX_TRACE_DOCUMENTS, artifact_create
from myloware.api.input import NO_NUL_PATTERN, NON_BLANK_PATTERN
from myloware.api.models import Scope
from myloware.api.pagination import PAGE_PARAMETERS, keyset_page, page_serializer
from myloware.api.request import actor_for
from myloware.api.schema import define_component, errors, state_rules
from myloware.api.scopes import requires_scope
from myloware.api.serializers import JSON_OBJECT, JsonObjectField, StrictInputSerializer
from myloware.api.tags import Tag
from runs.services import run_get


def _when_type(kind: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"required": ["type"], "properties": {"type": {"const": str(kind)}}}, "then": then}


_TEXT = {"type": "string", "pattern": NO_NUL_PATTERN}
_TEXT_OR_NULL = {"type": ["string", "null"], "pattern": NO_NUL_PATTERN}
# The retrieval-audit conventions (artifacts.services, docs/runs.md) as JSON Schema; beyond what a
# schema can say, a citations artifact's trace must exist and list every cited doc_id (409).
RETRIEVAL_TRACE = define_component(
    "RetrievalTrace",
    {
        "type": "object",
        "description": "One knowledge-base search: what was asked, which documents came back, how similar",
        "required": ["query", "docIds", "similarities", "persona", "project"],
        "properties": {
            "query": _TEXT,
            "docIds": {
                "type": "array",
                "items": {**_TEXT, "minLength": 1},
                "maxItems": MAX_TRACE_DOCUMENTS,
                "description": "The documents found, best first",
            },
            "similarities": {
                "type": "array",
                "items": {"type": "number", "minimum": -1, "maximum": 1},
                "maxItems": MAX_TRACE_DOCUMENTS,
                "description": "Cosine similarity of each of docIds, in the same order (as many)",
            },
            "persona": _TEXT_OR_NULL,
            "project": _TEXT_OR_NULL,
        },
    },
)
CITATIONS = define_component(
    "Citations",
    {
        "type": "object",
        "description": "The metadata of a citations artifact: the documents an output relied on",
        "required": ["items"],
        "properties": {
            "trace_id": {
                "type": ["string", "null"],
                "format": "uuid",
                "description": "The retrieval.trace artifact they come from (default: the run's latest of the persona)",
            },
            "items": {
                "type": "array",
                "items": define_component(
                    "Citation",
                    {
                        "type": "object",
                        "required": ["doc_id", "path", "reason"],
                        "properties": {
                            "doc_id": {**_TEXT, "description": "One of the trace's docIds"},
                            "path": {**_TEXT, "description": "The document's knowledge-base path"},
                            "reason": {**_TEXT, "description": "Why it was cited"},
                        },
                    },
                ),
            },
        },
    },
)
# As many similarities as docIds (a rule JSON Schema states only case by case). Stated in an
# if/then, which generators skip: openapi-python-client would make a model of each case.
_EQUAL_LENGTHS = {
    "anyOf": [
        {
            "properties": {
                "docIds": {"minItems": n, "maxItems": n},
                "similarities": {"minItems": n, "maxItems": n},
            }
        }
        for n in range(MAX_TRACE_DOCUMENTS + 1)
    ]
}
state_rules(
    "ArtifactCreateRequest",
    {
        "allOf": [
            {
                "if": {"required": ["retrieval_trace"]},
                "then": {"properties": {"retrieval_trace": _EQUAL_LENGTHS}},
            },
            _when_type(
                ArtifactType.RETRIEVAL_TRACE,
                {"required": ["retrieval_trace"], "properties": {"retrieval_trace": {"type": "object"}}},
            ),
            _when_type(
                ArtifactType.CITATIONS, {"required": ["metadata"], "properties": {"metadata": CITATIONS}}
            ),
        ]
    },
)


@extend_schema_field(RETRIEVAL_TRACE)
class RetrievalTraceField(JsonObjectField):
    """A retrieval trace; its rules are checked by artifacts.services (422 naming the rule)."""


@extend_schema_field({"anyOf": [CITATIONS, JSON_OBJECT]})
class MetadataField(JsonObjectField):
    """Free JSON, but Citations for a citations artifact (checked by artifacts.services)."""


class ArtifactSerializer(serializers.ModelSerializer):
    retrieval_trace = RetrievalTraceField(read_only=True, allow_null=True)
    metadata = MetadataField(read_only=True)

    class Meta:
        model = Artifact
        fields = [
            "id",
            "run_id",
            "type",
            "provider",
            "url",
            "checksum",
            "persona",
            "retrieval_trace",
            "metadata",
            "created_at",
        ]
        # An answer only: every field is read-only, so the document lists each as always present.
        read_only_fields = fields


class ArtifactCreateSerializer(StrictInputSerializer):
    type = serializers.RegexField(NON_BLANK_PATTERN, max_length=100)
    provider = serializers.CharField(required=False, allow_null=True, max_length=200)
    url = serializers.CharField(required=False, allow_null=True, max_length=4000)
    checksum = serializers.CharField(required=False, allow_null=True, max_length=200)
    persona = serializers.CharField(required=False, allow_null=True, max_length=100)
    retrieval_trace = RetrievalTraceField(
        required=False, allow_null=True, help_text="Required for a retrieval.trace artifact"
    )
    metadata = MetadataField(
        required=False, allow_null=True, help_text="Citations for a citations artifact, else free JSON"
    )


ArtifactPageSerializer = page_serializer(ArtifactSerializer, "ArtifactPage")


def _page(request: Request, qs: Any, *, descending: bool) -> dict[str, Any]:
    return keyset_page(
        request,
        qs,
        time_field="created_at",
        key_field="id",
        descending=descending,
        # many=True builds a ListSerializer; the stubs type .data as Serializer's ReturnDict.
        serialize=lambda rows: cast(list[dict[str, Any]], ArtifactSerializer(rows, many=True).data),
    )


_PAGING = PAGE_PARAMETERS


_PAGE = OpenApiResponse(ArtifactPageSerializer, description="One page of artifacts")


class RunArtifactsView(APIView):
    @extend_schema(
        operation_id="runs_artifacts_list",
        summary="Artifacts of a run, oldest first",
        parameters=[OpenApiParameter("type", str, description="Only this artifact type"), *_PAGING],
        responses={
            200: _PAGE,
            **errors({404: "No run with this run_id", 422: "The cursor or limit is invalid"}),
        },
        tags=[Tag.ARTIFACTS],
    )
    @requires_scope(Scope.ARTIFACTS)
    def get(self, request: Request, run_id: str) -> Response:
        run_get(run_id=run_id)
        rows = selectors.run_artifacts(run_id=run_id, type=request.query_params.get("type"))
        return Response(_page(request, rows, descending=False))

    @extend_schema(
        operation_id="runs_artifacts_create",
        summary="Record an artifact (same run + type + checksum again: the existing one)",
        request=ArtifactCreateSerializer,
        responses={
            201: OpenApiResponse(ArtifactSerializer, description="The new artifact"),
            200: OpenApiResponse(ArtifactSerializer, description="Existing artifact (same checksum)"),
            **errors(
                {
                    404: "No run with this run_id",
                    409: "Citations that their retrieval.trace (or the knowledge base) does not back",
                    422: "A retrieval-audit rule is broken (the message starts with the rule)",
                }
            ),
        },
        tags=[Tag.ARTIFACTS],
    )
    @requires_scope(Scope.ARTIFACTS)
    def post(self, request: Request, run_id: str) -> Response:
        serializer = ArtifactCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        artifact, created = artifact_create(
            run_id=run_id, actor=actor_for(request), **serializer.validated_data
        )
        return Response(
            ArtifactSerializer(artifact).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ArtifactListView(APIView):
    @extend_schema(
        operation_id="artifacts_list",
        summary="Artifacts across runs, newest first",
        parameters=[
            OpenApiParameter("persona", str, description="Only this persona"),
            OpenApiParameter("type", str, description="Only this type"),
            OpenApiParameter("provider", str, description="Only this provider"),
            *_PAGING,
        ],
        responses={200: _PAGE, **errors({422: "The cursor or limit is invalid"})},
        tags=[Tag.ARTIFACTS],
    )
    @requires_scope(Scope.ARTIFACTS)
    def get(self, request: Request) -> Response:
        params = request.query_params
        rows = selectors.artifacts(
            persona=params.get("persona"), type=params.get("type"), provider=params.get("provider")
        )
        return Response(_page(request, rows, descending=True))
