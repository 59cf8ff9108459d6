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
from myloware.api.schema import errors
from myloware.api.scopes import requires_scope
from myloware.api.serializers import JsonObjectField, StrictInputSerializer
from myloware.api.tags import Tag
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
    held = serializers.BooleanField(
        required=False,
        help_text="Place (true) or release (false) a legal hold: retention never removes a held run",
    )


class TransitionInSerializer(StrictInputSerializer):
    to = serializers.ChoiceField(choices=RunStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# Answers only: every field is read-only, so the document lists each as always present.


class RunListItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = ["run_id", "project", "status", "created_at", "updated_at"]
        read_only_fields = fields


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunTransition
        fields = ["from_status", "to_status", "actor", "reason", "created_at"]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer):
    metadata = JsonObjectField(read_only=True)

    class Meta:
        model = HitlApproval
        fields = ["id", "gate", "decision", "approver", "approver_ip", "comment", "metadata", "created_at"]
        read_only_fields = fields


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
    artifact_ids = serializers.ListField(
        child=serializers.UUIDField(), read_only=True, help_text="The artifacts under review"
    )

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
            "chosen_idea_id",
            "callback_status",
            "decisions",
            "notifications",
        ]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    payload = JsonObjectField(read_only=True)
    result = JsonObjectField(read_only=True, allow_null=True)
    allowed_next = serializers.ListField(
        child=serializers.ChoiceField(choices=RunStatus.choices),
        read_only=True,
        help_text="The statuses the run may move to from its current one",
    )
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
            "held",
            "allowed_next",
            "open_gate",
            "artifact_count",
            "transitions",
        ]
        read_only_fields = fields

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
    state = JsonObjectField(help_text="{} until the first save")
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


class _DecisionFieldsSerializer(StrictInputSerializer):
    """What an approval and a rejection both carry."""

    decision = serializers.ChoiceField(choices=HitlDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=200)
    content_hash = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The content_hash you reviewed; needed to approve content that changed since opening",
    )


class GateDecisionInSerializer(_DecisionFieldsSerializer):
    chosen_idea_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The idea (one of the idea artifacts under review) the run goes ahead with; "
        "by default the one an earlier approver chose, else the first idea under review",
    )


# The two shapes of a decision, for the document only: the view reads GateDecisionInSerializer,
# and gate_decide holds the rule that a rejection needs a comment.
class GateApproveInSerializer(GateDecisionInSerializer):
    """An approval."""

    decision = serializers.ChoiceField(choices=[HitlDecision.APPROVE])


class GateRejectInSerializer(_DecisionFieldsSerializer):
    """A rejection, with a comment saying why (it chooses no idea)."""

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


def _parse_time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    return None if raw is None else parse_datetime_param(name, raw)


# Keys of the runs list's cursor: run ids (services.RUN_ID_PATTERN without its anchors).
_RUN_KEY = services.RUN_ID_PATTERN.pattern.removeprefix("^").removesuffix("$")
# Keys of the gates list's cursor: gate request ids (a bigint sequence).
_GATE_KEY = r"[0-9]{1,19}"


def _statuses(request: Request) -> list[str] | None:
    """``?status=a&status=b`` (as generated clients send a list) or ``?status=a,b``."""
    raw = request.query_params.getlist("status")
    if not raw:
        return None
    wanted = [status for value in raw for status in value.split(",")]
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
        {"type": "array", "items": {"$ref": "#/components/schemas/RunStatusEnum"}},
        explode=True,
        description="Only runs with one of these statuses (repeat the parameter; commas also separate)",
    ),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME, description="created_at >= this time"),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME, description="created_at < this time"),
    *page_parameters(_RUN_KEY),
]
_NO_RUN = {404: "No run with this run_id"}
_RUN = OpenApiResponse(RunSerializer, description="The run, with its open gate and transition log")


class RunListCreateView(APIView):
    @extend_schema(
        operation_id="runs_list",
        summary="List runs, newest first (keyset cursor pagination)",
        parameters=_RUN_FILTERS,
        responses={
            200: OpenApiResponse(RunPageSerializer, description="One page of runs"),
            **errors({422: "A filter or the cursor is invalid (details.field names it)"}),
        },
        tags=[Tag.RUNS],
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
            201: OpenApiResponse(RunSerializer, description="The new run"),
            200: OpenApiResponse(
                RunSerializer, description="The same run_id and body again: the existing run"
            ),
            **errors(
                {
                    409: "A run with this run_id exists with a different body",
                    422: "run_id, project or payload breaks its rule",
                }
            ),
        },
        tags=[Tag.RUNS],
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
        responses={200: _RUN, **errors(_NO_RUN)},
        tags=[Tag.RUNS],
    )
    @requires_scope(Scope.RUNS)
    def get(self, request: Request, run_id: str) -> Response:
        return Response(_run_body(services.run_get(run_id=run_id)))

    @extend_schema(
        operation_id="runs_patch",
        summary="JSON-merge result (and payload while the run has not started); place or release a legal hold",
        request=RunPatchSerializer,
        responses={
            200: OpenApiResponse(RunSerializer, description="The run after the merge"),
            **errors({**_NO_RUN, 409: "The run has started: its payload can no longer change"}),
        },
        tags=[Tag.RUNS],
    )
    @requires_scope(Scope.RUNS)
    def patch(self, request: Request, run_id: str) -> Response:
        data = _valid(RunPatchSerializer, request.data)
        actor = actor_for(request)
        if "held" in data:
            services.run_hold(run_id=run_id, held=data["held"], actor=actor)
        run = services.run_patch(
            run_id=run_id, actor=actor, result=data.get("result"), payload=data.get("payload")
        )
        return Response(_run_body(run))


class RunTransitionView(APIView):
    @extend_schema(
        operation_id="runs_transition",
        summary="Move a run to another status",
        request=TransitionInSerializer,
        responses={
            200: OpenApiResponse(RunSerializer, description="The run in its new status"),
            **errors(
                {
                    **_NO_RUN,
                    409: "The run cannot move there from its status (details: current_status, allowed)",
                }
            ),
        },
        tags=[Tag.RUNS],
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
        responses={
            200: OpenApiResponse(RunStatsSerializer, description="Counts by status and their total"),
            **errors({422: "since is no time with a zone"}),
        },
        tags=[Tag.RUNS],
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
        responses={
            200: OpenApiResponse(TimelineSerializer, description="The run's events, oldest first"),
            **errors(_NO_RUN),
        },
        tags=[Tag.RUNS],
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
        return None  # the first save; once a checkpoint exists the service answers 428
    match = re.fullmatch(IF_MATCH_PATTERN, raw.strip())
    if match is None:
        raise InvalidInput(
            'If-Match must be the ETag of the checkpoint, e.g. "3"', details={"field": "If-Match"}
        )
    if match[1] == "*":
        # "*": any existing checkpoint; none yet makes the save a stale (412) write.
        return current if current is not None else -1
    return int(match[3])


_ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    required=True,
    description='The checkpoint\'s version, quoted ("3"): send it back as If-Match to save, as If-None-Match to re-read',
)


class CheckpointView(APIView):
    @extend_schema(
        operation_id="runs_checkpoint_get",
        summary="The run's latest orchestrator state (ETag = version; version 0 before the first save)",
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                str,
                OpenApiParameter.HEADER,
                description="The ETag you hold: 304 (no body) while it is still the current one",
            ),
            _ETAG,
        ],
        responses={
            200: OpenApiResponse(CheckpointSerializer, description="The checkpoint"),
            304: OpenApiResponse(description="If-None-Match is the current ETag: what you hold is current"),
            **errors(_NO_RUN),
        },
        tags=[Tag.CHECKPOINTS],
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
        description=(
            "Optimistic concurrency: send the ETag you read as If-Match. The first save of a run may "
            'omit it (or send "0"); once the run has a checkpoint, If-Match is required (428 '
            "without it) and must be its current version (412 otherwise: reload and retry)."
        ),
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                pattern=IF_MATCH_PATTERN,
                description=(
                    'ETag of the checkpoint you read ("3"), or * for whatever exists; required once '
                    'the run has a checkpoint, optional (or "0") for the first save'
                ),
            ),
            _ETAG,
        ],
        request=CheckpointPutSerializer,
        responses={
            200: OpenApiResponse(CheckpointSerializer, description="Saved: the new version"),
            201: OpenApiResponse(CheckpointSerializer, description="The run's first checkpoint (version 1)"),
            **errors(
                {
                    **_NO_RUN,
                    412: "If-Match is not the current version (details: current_version, expected_version)",
                    413: "The state is larger than CHECKPOINT_MAX_BYTES",
                    428: "The run has a checkpoint and If-Match is missing (details.current_version)",
                }
            ),
        },
        tags=[Tag.CHECKPOINTS],
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
        responses={
            200: OpenApiResponse(
                page_serializer(GateSerializer, "GatePage"), description="One page of gates"
            ),
            **errors({**_NO_RUN, 422: "The cursor or limit is invalid"}),
        },
        tags=[Tag.GATES],
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
            201: OpenApiResponse(GateSerializer, description="The gate, open"),
            200: OpenApiResponse(GateSerializer, description="That gate was already open"),
            **errors(
                {
                    404: "No run with this run_id, or artifact_ids that are not its artifacts (details.unknown)",
                    409: "Another gate is open on the run (details.open_gate), or its status does not allow this gate",
                }
            ),
        },
        tags=[Tag.GATES],
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
        parameters=[
            OpenApiParameter("gate", {"$ref": "#/components/schemas/GateNameEnum"}, OpenApiParameter.PATH),
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Makes a retried decision replay the stored outcome (or idempotency_key in the body)",
            ),
        ],
        summary="Approve or reject a gate (idempotent with idempotency_key or Idempotency-Key)",
        request=GATE_DECISION_REQUEST,
        responses={
            201: OpenApiResponse(GateDecisionOutSerializer, description="The decision, recorded"),
            200: OpenApiResponse(GateDecisionOutSerializer, description="A stored outcome replayed"),
            **errors(
                {
                    403: "The key's actor created the run and the gate does not allow self-approval (code self_approval)",
                    404: "No run with this run_id, or no such gate opened on it (code no_gate)",
                    409: "The gate is no longer open, its artifacts changed since it opened (code stale_content), "
                    "or an earlier approver chose another idea (code other_idea_chosen)",
                    422: "A rejection without a comment, or a chosen idea that is not under review (code unknown_idea)",
                }
            ),
        },
        tags=[Tag.GATES],
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
            chosen_idea_id=str(data["chosen_idea_id"]) if data.get("chosen_idea_id") else None,
        )
        body = {
            "recorded": result.recorded,
            "decision": DecisionSerializer(result.approval).data if result.approval else None,
            "gate": GateSerializer(result.gate_request).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.recorded else status.HTTP_200_OK)
