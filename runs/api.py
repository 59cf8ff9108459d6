"""REST API of runs, checkpoints and gates (``/api/v1``, API key). Views only translate HTTP
to the services in runs.services / runs.selectors and back."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from myloware.api.input import NON_BLANK_PATTERN, parse_datetime_param
from myloware.api.models import Scope
from myloware.api.pagination import keyset_page, page_parameters, page_serializer
from myloware.api.request import actor_for, client_ip
from myloware.api.schema import ErrorSerializer, error_responses
from myloware.api.scopes import requires_scope
from myloware.api.serializers import JsonObjectField, StrictInputSerializer
from myloware.lib.errors import InvalidInput, PayloadTooLarge
from runs import selectors, services
from runs.models import (
    Gate,
    GateNotification,
    GateRequest,
    HitlApproval,
    HitlDecision,
    Run,
    RunStatus,
    RunTransition,
)

# --- serializers -----------------------------------------------------------------------------


class RunCreateSerializer(StrictInputSerializer):
    run_id = serializers.RegexField(services.RUN_ID_PATTERN, required=False, max_length=200)
    project = serializers.RegexField(services.PROJECT_PATTERN, max_length=100)
    payload = JsonObjectField(required=False, default=dict)
    status = serializers.ChoiceField(
        choices=[RunStatus.PENDING, RunStatus.PENDING_WORKFLOW], required=False, default=RunStatus.PENDING
    )


class RunPatchSerializer(StrictInputSerializer):
    result = JsonObjectField(required=False, help_text="JSON merge patch of result (null deletes a key)")
    payload = JsonObjectField(required=False, help_text="JSON merge patch of payload, before start")


class TransitionInSerializer(StrictInputSerializer):
    to = serializers.ChoiceField(choices=RunStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RunListItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = ["run_id", "project", "status", "created_at", "updated_at"]


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunTransition
        fields = ["from_status", "to_status", "actor", "reason", "created_at"]


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = HitlApproval
        fields = ["id", "gate", "decision", "approver", "approver_ip", "comment", "metadata", "created_at"]


class GateNotificationSerializer(serializers.ModelSerializer):
    target = serializers.CharField(
        source="target_display",
        read_only=True,
        help_text="The e-mail address, or the chat webhook URL with its secret path redacted",
    )

    class Meta:
        model = GateNotification
        fields = [
            "kind",
            "channel",
            "target",
            "status",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
        ]
        read_only_fields = fields  # an answer only: every field is always present


class GateSerializer(serializers.ModelSerializer):
    decisions = DecisionSerializer(source="approvals", many=True, read_only=True)
    notifications = GateNotificationSerializer(many=True, read_only=True)
    approvals_needed = serializers.IntegerField(source="required_approvals", read_only=True)

    class Meta:
        model = GateRequest
        fields = [
            "id",
            "run_id",
            "gate",
            "status",
            "summary",
            "artifact_ids",
            "content_hash",
            "opened_by",
            "opened_at",
            "deadline_at",
            "approvals_needed",
            "allow_self_approval",
            "decided_at",
            "decided_by",
            "decision_comment",
            "callback_status",
            "decisions",
            "notifications",
        ]


class RunSerializer(serializers.ModelSerializer):
    allowed_next = serializers.ListField(child=serializers.CharField(), read_only=True)
    open_gate = serializers.SerializerMethodField()
    artifact_count = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "run_id",
            "project",
            "status",
            "payload",
            "result",
            "created_at",
            "updated_at",
            "allowed_next",
            "open_gate",
            "artifact_count",
            "transitions",
        ]

    @extend_schema_field(GateSerializer(allow_null=True))
    def get_open_gate(self, run: Run) -> dict[str, Any] | None:
        gate = selectors.run_open_gate(run_id=run.run_id)
        return GateSerializer(gate).data if gate else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_artifact_count(self, run: Run) -> int:
        return run.artifacts.count()

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, run: Run) -> list[dict[str, Any]]:
        rows = selectors.run_transitions(run_id=run.run_id)
        # many=True builds a ListSerializer (a list); the stubs type .data as Serializer's ReturnDict.
        return cast(list[dict[str, Any]], TransitionSerializer(rows, many=True).data)


RunPageSerializer = page_serializer(RunListItemSerializer, "RunPage")


class RunStatsSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    project = serializers.CharField(allow_null=True)
    since = serializers.DateTimeField(allow_null=True)


class TimelineEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(
        choices=["transition", "artifact", "gate.opened", "gate.closed", "decision", "webhook", "checkpoint"]
    )
    summary = serializers.CharField()
    actor = serializers.CharField(allow_blank=True)
    details = serializers.DictField()


class TimelineSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    events = TimelineEventSerializer(many=True)


class CheckpointSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    state = serializers.JSONField()
    version = serializers.IntegerField(help_text="0 until the first save")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="null until the first save")


class CheckpointPutSerializer(StrictInputSerializer):
    state = JsonObjectField()


class GateOpenSerializer(StrictInputSerializer):
    gate = serializers.ChoiceField(choices=Gate.choices)
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    artifact_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        allow_null=True,
        help_text="Artifacts of this run under review (default: all of them); unknown ids are a 404",
    )


class GateDecisionInSerializer(StrictInputSerializer):
    decision = serializers.ChoiceField(choices=HitlDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=200)
    content_hash = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The content_hash you reviewed; needed to approve content that changed since opening",
    )


class GateApproveInSerializer(GateDecisionInSerializer):
    """Documentation only: the shape of an approval."""

    decision = serializers.ChoiceField(choices=[HitlDecision.APPROVE])


class GateRejectInSerializer(GateDecisionInSerializer):
    """Documentation only: a reject needs a comment saying why (the rule is in gate_decide)."""

    decision = serializers.ChoiceField(choices=[HitlDecision.REJECT])
    comment = serializers.RegexField(
        NON_BLANK_PATTERN, max_length=10_000, help_text="Why the gate is rejected"
    )


GATE_DECISION_REQUEST = PolymorphicProxySerializer(
    component_name="GateDecisionIn",
    serializers={
        HitlDecision.APPROVE.value: GateApproveInSerializer,
        HitlDecision.REJECT.value: GateRejectInSerializer,
    },
    resource_type_field_name="decision",
)


class GateDecisionOutSerializer(serializers.Serializer):
    recorded = serializers.BooleanField(help_text="False when a stored outcome was replayed")
    decision = DecisionSerializer(allow_null=True)
    gate = GateSerializer()


_errors = error_responses


def _parse_time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    return None if raw is None else parse_datetime_param(name, raw)


# Keys of the runs list's cursor: run ids (services.RUN_ID_PATTERN without its anchors).
_RUN_KEY = services.RUN_ID_PATTERN.pattern.removeprefix("^").removesuffix("$")
_STATUS = "|".join(RunStatus.values)
# Keys of the gates list's cursor: gate request ids (a bigint sequence).
_GATE_KEY = r"[0-9]{1,19}"


def _statuses(request: Request) -> list[str] | None:
    raw = request.query_params.get("status")
    if raw is None:
        return None
    wanted = raw.split(",")
    unknown = [s for s in wanted if s not in RunStatus.values]
    if unknown:
        raise InvalidInput(f"Unknown status {unknown[0]!r}", details={"allowed": list(RunStatus.values)})
    return wanted


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _run_body(run: Run) -> dict[str, Any]:
    return RunSerializer(run).data


# --- views -----------------------------------------------------------------------------------

_RUN_FILTERS = [
    OpenApiParameter("project", str, description="Only runs of this project"),
    OpenApiParameter(
        "status",
        str,
        pattern=rf"^({_STATUS})(,({_STATUS}))*$",
        description="Only runs with this status (comma-separated for several)",
    ),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME, description="created_at >= this time"),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME, description="created_at < this time"),
    *page_parameters(_RUN_KEY),
]


class RunListCreateView(APIView):
    @extend_schema(
        operation_id="runs_list",
        summary="List runs, newest first (keyset cursor pagination)",
        parameters=_RUN_FILTERS,
        responses={200: RunPageSerializer, **_errors(401, 422)},
    )
    @requires_scope(Scope.RUNS)
    def get(self, request: Request) -> Response:
        runs = selectors.runs_list(
            project=request.query_params.get("project"),
            statuses=_statuses(request),
            created_after=_parse_time(request, "created_after"),
            created_before=_parse_time(request, "created_before"),
        )
        page = keyset_page(
            request,
            runs,
            time_field="created_at",
            key_field="run_id",
            key_pattern=_RUN_KEY,
            descending=True,
            # many=True builds a ListSerializer; the stubs type .data as Serializer's ReturnDict.
            serialize=lambda rows: cast(list[dict[str, Any]], RunListItemSerializer(rows, many=True).data),
        )
        return Response(page)

    @extend_schema(
        operation_id="runs_create",
        summary="Create a run (idempotent on run_id)",
        request=RunCreateSerializer,
        responses={
            201: RunSerializer,
            200: OpenApiResponse(
                RunSerializer, description="The same run_id and body again: the existing run"
            ),
            **_errors(400, 401, 409, 422),
        },
    )
    @requires_scope(Scope.RUNS)
    def post(self, request: Request) -> Response:
        data = _valid(RunCreateSerializer, request.data)
        run, created = services.run_create_or_get(
            project=data["project"],
            payload=data.get("payload"),
            run_id=data.get("run_id"),
            status=data["status"],
            actor=actor_for(request),
        )
        return Response(_run_body(run), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RunDetailView(APIView):
    @extend_schema(
        operation_id="runs_retrieve",
        summary="A run with its open gate, artifact count and transition log",
        responses={200: RunSerializer, **_errors(401, 404)},
    )
    @requires_scope(Scope.RUNS)
    def get(self, request: Request, run_id: str) -> Response:
        return Response(_run_body(services.run_get(run_id=run_id)))

    @extend_schema(
        operation_id="runs_patch",
        summary="JSON-merge result (and payload while the run has not started)",
        request=RunPatchSerializer,
        responses={200: RunSerializer, **_errors(400, 401, 404, 409, 422)},
    )
    @requires_scope(Scope.RUNS)
    def patch(self, request: Request, run_id: str) -> Response:
        data = _valid(RunPatchSerializer, request.data)
        run = services.run_patch(
            run_id=run_id, actor=actor_for(request), result=data.get("result"), payload=data.get("payload")
        )
        return Response(_run_body(run))


class RunTransitionView(APIView):
    @extend_schema(
        operation_id="runs_transition",
        summary="Move a run to another status",
        request=TransitionInSerializer,
        responses={
            200: RunSerializer,
            409: OpenApiResponse(ErrorSerializer, description="details: current_status, allowed"),
            **_errors(400, 401, 404),
        },
    )
    @requires_scope(Scope.RUNS)
    def post(self, request: Request, run_id: str) -> Response:
        data = _valid(TransitionInSerializer, request.data)
        run = services.run_transition(
            run_id=run_id, to=data["to"], actor=actor_for(request), reason=data.get("reason", "")
        )
        return Response(_run_body(run))


class RunStatsView(APIView):
    @extend_schema(
        operation_id="runs_stats",
        summary="Counts of runs by status",
        parameters=[
            OpenApiParameter("project", str, description="Only this project"),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Only runs created since"),
        ],
        responses={200: RunStatsSerializer, **_errors(401, 422)},
    )
    @requires_scope(Scope.RUNS)
    def get(self, request: Request) -> Response:
        project = request.query_params.get("project") or None
        since = _parse_time(request, "since")
        counts = selectors.run_stats(project=project, since=since)
        return Response({"counts": counts, "total": sum(counts.values()), "project": project, "since": since})


class RunTimelineView(APIView):
    @extend_schema(
        operation_id="runs_timeline",
        summary="Everything that happened to a run, oldest first",
        responses={200: TimelineSerializer, **_errors(401, 404)},
    )
    @requires_scope(Scope.RUNS)
    def get(self, request: Request, run_id: str) -> Response:
        services.run_get(run_id=run_id)
        return Response({"run_id": run_id, "events": selectors.run_timeline(run_id=run_id)})


def _etag(version: int) -> str:
    return f'"{version}"'


# An ETag as sent back: "3" (quotes optional, W/ tolerated), or * for "any existing checkpoint".
IF_MATCH_PATTERN = r'^(\*|(W/)?"?([0-9]{1,18})"?)$'


def _if_match_version(request: Request, current: int | None) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    match = re.fullmatch(IF_MATCH_PATTERN, raw.strip())
    if match is None:
        raise InvalidInput(
            'If-Match must be the ETag of the checkpoint, e.g. "3"', details={"field": "If-Match"}
        )
    if match[1] == "*":
        # "*": any existing checkpoint; none yet makes the save a stale (412) write.
        return current if current is not None else -1
    return int(match[3])


class CheckpointView(APIView):
    @extend_schema(
        operation_id="runs_checkpoint_get",
        summary="The run's latest orchestrator state (ETag = version; version 0 before the first save)",
        responses={200: CheckpointSerializer, 304: None, **_errors(401, 404)},
    )
    @requires_scope(Scope.CHECKPOINTS)
    def get(self, request: Request, run_id: str) -> Response:
        checkpoint = services.checkpoint_get(run_id=run_id)
        if request.headers.get("If-None-Match") == _etag(checkpoint.version):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": _etag(checkpoint.version)})
        return self._respond(checkpoint, status.HTTP_200_OK)

    @extend_schema(
        operation_id="runs_checkpoint_put",
        summary="Save the run's orchestrator state (If-Match: the ETag you read)",
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                pattern=IF_MATCH_PATTERN,
                description="ETag of the checkpoint you read; omit only to create the first one",
            )
        ],
        request=CheckpointPutSerializer,
        responses={
            200: CheckpointSerializer,
            201: CheckpointSerializer,
            **_errors(400, 401, 404, 412, 413, 422),
        },
    )
    @requires_scope(Scope.CHECKPOINTS)
    def put(self, request: Request, run_id: str) -> Response:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.CHECKPOINT_MAX_BYTES + 1024:
            raise PayloadTooLarge(
                f"Checkpoint body is {length} bytes; the limit is {settings.CHECKPOINT_MAX_BYTES}",
                details={"limit_bytes": settings.CHECKPOINT_MAX_BYTES},
            )
        data = _valid(CheckpointPutSerializer, request.data)
        current = selectors.checkpoint_version(run_id=run_id)
        expected = _if_match_version(request, current)
        checkpoint = services.checkpoint_save(
            run_id=run_id, state=data["state"], actor=actor_for(request), expected_version=expected
        )
        created = checkpoint.version == 1
        return self._respond(checkpoint, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _respond(self, checkpoint: Any, code: int) -> Response:
        body = {
            "run_id": checkpoint.run_id,
            "state": checkpoint.state,
            "version": checkpoint.version,
            "updated_at": checkpoint.updated_at,
        }
        return Response(body, status=code, headers={"ETag": _etag(checkpoint.version)})


class GateListOpenView(APIView):
    @extend_schema(
        operation_id="runs_gates_list",
        summary="Gates opened on a run with their decisions, oldest first",
        parameters=page_parameters(_GATE_KEY),
        responses={200: page_serializer(GateSerializer, "GatePage"), **_errors(401, 404, 422)},
    )
    @requires_scope(Scope.RUNS)
    def get(self, request: Request, run_id: str) -> Response:
        services.run_get(run_id=run_id)
        page = keyset_page(
            request,
            selectors.run_gates(run_id=run_id),
            time_field="opened_at",
            key_pattern=_GATE_KEY,
            descending=False,
            serialize=lambda rows: cast(list[dict[str, Any]], GateSerializer(rows, many=True).data),
        )
        return Response(page)

    @extend_schema(
        operation_id="runs_gates_open",
        summary="Open a gate: the run waits for an operator's decision",
        request=GateOpenSerializer,
        responses={
            201: GateSerializer,
            200: OpenApiResponse(GateSerializer, description="That gate was already open"),
            **_errors(400, 401, 404, 409, 422),
        },
    )
    @requires_scope(Scope.RUNS)
    def post(self, request: Request, run_id: str) -> Response:
        data = _valid(GateOpenSerializer, request.data)
        ids = data.get("artifact_ids")
        gate_request, created = services.gate_open(
            run_id=run_id,
            gate=data["gate"],
            actor=actor_for(request),
            summary=data.get("summary", ""),
            artifact_ids=None if ids is None else [str(i) for i in ids],
        )
        return Response(
            GateSerializer(gate_request).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class GateDecisionView(APIView):
    @extend_schema(
        operation_id="runs_gates_decide",
        parameters=[OpenApiParameter("gate", str, OpenApiParameter.PATH, enum=Gate.values)],
        summary="Approve or reject a gate (idempotent with idempotency_key or Idempotency-Key)",
        request=GATE_DECISION_REQUEST,
        responses={
            201: GateDecisionOutSerializer,
            200: OpenApiResponse(GateDecisionOutSerializer, description="A stored outcome replayed"),
            **_errors(400, 401, 403, 404, 409, 422),
        },
    )
    @requires_scope(Scope.GATES_DECIDE)
    def post(self, request: Request, run_id: str, gate: str) -> Response:
        data = _valid(GateDecisionInSerializer, request.data)
        result = services.gate_decide(
            run_id=run_id,
            gate=gate,
            decision=data["decision"],
            actor=actor_for(request),
            comment=data.get("comment", ""),
            approver_ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            idempotency_key=data.get("idempotency_key") or request.headers.get("Idempotency-Key"),
            content_hash=data.get("content_hash") or None,
        )
        body = {
            "recorded": result.recorded,
            "decision": DecisionSerializer(result.approval).data if result.approval else None,
            "gate": GateSerializer(result.gate_request).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.recorded else status.HTTP_200_OK)
