"""REST API of artifacts: per run (create, list oldest first) and across runs (newest first)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artifacts.models import Artifact
from artifacts.services import artifact_create
from myloware.api.models import Scope
from myloware.api.request import actor_for
from myloware.api.schema import ErrorSerializer
from myloware.api.scopes import requires_scope
from runs.pagination import keyset_page
from runs.services import run_get


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


class ArtifactCreateSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=100)
    provider = serializers.CharField(required=False, allow_null=True, max_length=200)
    url = serializers.CharField(required=False, allow_null=True, max_length=4000)
    checksum = serializers.CharField(required=False, allow_null=True, max_length=200)
    persona = serializers.CharField(required=False, allow_null=True, max_length=100)
    retrieval_trace = serializers.JSONField(required=False, allow_null=True)
    metadata = serializers.JSONField(required=False, allow_null=True)


class ArtifactPageSerializer(serializers.Serializer):
    results = ArtifactSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.URLField(allow_null=True)


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer) for code in codes}


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


_PAGING = [
    OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
    OpenApiParameter("limit", int, description="Page size (default 50, at most 500)"),
]


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
        qs = Artifact.objects.filter(run_id=run_id)
        if kind := request.query_params.get("type"):
            qs = qs.filter(type=kind)
        return Response(_page(request, qs, descending=False))

    @extend_schema(
        operation_id="runs_artifacts_create",
        summary="Record an artifact (same run + type + checksum again: the existing one)",
        request=ArtifactCreateSerializer,
        responses={
            201: ArtifactSerializer,
            200: OpenApiResponse(ArtifactSerializer, description="Existing artifact (same checksum)"),
            422: OpenApiResponse(ErrorSerializer, description="A retrieval-audit rule is broken"),
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
        qs = Artifact.objects.all()
        for name in ("persona", "type", "provider"):
            if value := request.query_params.get(name):
                qs = qs.filter(**{name: value})
        return Response(_page(request, qs, descending=True))
