"""REST API of artifacts: per run (create, list oldest first) and across runs (newest first)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
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
from myloware.api.schema import ErrorSerializer, error_responses, state_rules
from myloware.api.scopes import requires_scope
from myloware.api.serializers import JsonObjectField, StrictInputSerializer
from runs.services import run_get


def _when_type(kind: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"required": ["type"], "properties": {"type": {"const": str(kind)}}}, "then": then}


_TEXT = {"type": "string", "pattern": NO_NUL_PATTERN}
# The retrieval-audit conventions (artifacts.services, docs/runs.md) as JSON Schema; beyond what a schema can say, a
# citations artifact's trace must exist and list every cited doc_id (409 otherwise).
state_rules(
    "ArtifactCreateRequest",
    {
        "allOf": [
            _when_type(
                ArtifactType.RETRIEVAL_TRACE,
                {
                    "required": ["retrieval_trace"],
                    "properties": {
                        "retrieval_trace": {
                            "type": "object",
                            "required": ["query", "docIds", "similarities", "persona", "project"],
                            "properties": {
                                "query": _TEXT,
                                "docIds": {"type": "array", "items": {**_TEXT, "minLength": 1}},
                                "similarities": {
                                    "type": "array",
                                    "items": {"type": "number", "minimum": -1, "maximum": 1},
                                },
                            },
                            # As many similarities as docIds, at most MAX_TRACE_DOCUMENTS.
                            "anyOf": [
                                {
                                    "properties": {
                                        "docIds": {"minItems": n, "maxItems": n},
                                        "similarities": {"minItems": n, "maxItems": n},
                                    }
                                }
                                for n in range(MAX_TRACE_DOCUMENTS + 1)
                            ],
                        }
                    },
                },
            ),
            _when_type(
                ArtifactType.CITATIONS,
                {
                    "required": ["metadata"],
                    "properties": {
                        "metadata": {
                            "type": "object",
                            "required": ["items"],
                            "properties": {
                                "trace_id": {"type": ["string", "null"], "format": "uuid"},
                                "items": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["doc_id", "path", "reason"],
                                        "properties": {"doc_id": _TEXT, "path": _TEXT, "reason": _TEXT},
                                    },
                                },
                            },
                        }
                    },
                },
            ),
        ]
    },
)


class ArtifactSerializer(serializers.ModelSerializer):
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


class ArtifactCreateSerializer(StrictInputSerializer):
    type = serializers.RegexField(NON_BLANK_PATTERN, max_length=100)
    provider = serializers.CharField(required=False, allow_null=True, max_length=200)
    url = serializers.CharField(required=False, allow_null=True, max_length=4000)
    checksum = serializers.CharField(required=False, allow_null=True, max_length=200)
    persona = serializers.CharField(required=False, allow_null=True, max_length=100)
    retrieval_trace = JsonObjectField(required=False, allow_null=True)
    metadata = JsonObjectField(required=False, allow_null=True)


ArtifactPageSerializer = page_serializer(ArtifactSerializer, "ArtifactPage")
_errors = error_responses


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


class RunArtifactsView(APIView):
    @extend_schema(
        operation_id="runs_artifacts_list",
        summary="Artifacts of a run, oldest first",
        parameters=[OpenApiParameter("type", str, description="Only this artifact type"), *_PAGING],
        responses={200: ArtifactPageSerializer, **_errors(401, 404, 422)},
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
            201: ArtifactSerializer,
            200: OpenApiResponse(ArtifactSerializer, description="Existing artifact (same checksum)"),
            422: OpenApiResponse(ErrorSerializer, description="A retrieval-audit rule is broken"),
            409: OpenApiResponse(
                ErrorSerializer, description="citations that their retrieval.trace does not back"
            ),
            **_errors(400, 401, 404),
        },
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
        responses={200: ArtifactPageSerializer, **_errors(401, 422)},
    )
    @requires_scope(Scope.ARTIFACTS)
    def get(self, request: Request) -> Response:
        params = request.query_params
        rows = selectors.artifacts(
            persona=params.get("persona"), type=params.get("type"), provider=params.get("provider")
        )
        return Response(_page(request, rows, descending=True))
