"""Webhook endpoints: the provider intake (signature = authentication) and the operator API."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import RetrieveAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from myloware.api.exceptions import database_unavailable_response
from myloware.api.input import parse_bool_param
from myloware.api.models import Scope
from myloware.api.pagination import PAGE_PARAMETERS, keyset_page, page_serializer
from myloware.api.request import actor_for, client_ip
from myloware.api.schema import errors
from myloware.api.scopes import requires_scope
from myloware.api.tags import Tag
from myloware.lib.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, error_body
from webhooks import selectors
from webhooks.models import EventStatus, SignatureStatus, WebhookDLQ, WebhookEvent
from webhooks.services import (
    Receipt,
    dlq_replay,
    intake_body_limit,
    webhook_intake_admit,
    webhook_receive,
)

READ_CHUNK = 64 * 1024
BODY_PREVIEW_LIMIT = 64 * 1024


# --- intake -----------------------------------------------------------------------------------


def read_body(request: HttpRequest, *, limit: int) -> bytes:
    """Read at most ``limit`` bytes of the body in bounded chunks; PayloadTooLarge beyond that.

    A declared ``Content-Length`` over the limit is refused before reading anything. Without a
    usable one (chunked transfer, a malformed value), Django's own stream would read nothing, so
    the WSGI input is read directly until EOF, never holding more than ``limit + 1`` bytes. The
    WSGI server (gunicorn, runserver) bounds ``wsgi.input`` to this request. A Content-Length
    smaller than the body sent is honoured (the rest is not this request's body): the signature
    then fails on the truncated bytes.
    """
    declared = (request.META.get("CONTENT_LENGTH") or "").strip()
    length = int(declared) if declared.isdigit() else None
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not declared and not chunked:
        return b""  # HTTP/1.1: no Content-Length and no chunked coding means no body
    if length is not None and length > limit:
        raise PayloadTooLarge(
            f"Body of {length} bytes exceeds the limit of {limit} bytes", details={"limit": limit}
        )
    stream = request.META.get("wsgi.input")
    if stream is None:  # pragma: no cover - not a WSGI request
        return request.body
    chunks: list[bytes] = []
    size = 0
    while True:
        want = min(READ_CHUNK, limit + 1 - size)
        if length is not None:
            want = min(want, length - size)  # never read past the declared length
        if want <= 0:
            break
        chunk = stream.read(want)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Body exceeds the limit of {limit} bytes", details={"limit": limit})
    return b"".join(chunks)


class IgnoreAcceptHeader(BaseContentNegotiation):
    """Providers send any Accept header; answering 406 would only make them retry forever."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return None

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        # DRF passes the view's renderer list; list() keeps the IndexError of an empty one.
        first = list(renderers)[0]
        return first, first.media_type


# The headers of the standard (Standard Webhooks) scheme; the other schemes read the headers their
# provider's configuration names (docs/webhooks.md), which no static document can list.
_STANDARD_WEBHOOK_HEADERS = [
    OpenApiParameter(name, str, OpenApiParameter.HEADER, description=f"{meaning} (standard scheme)")
    for name, meaning in (
        ("webhook-id", "The delivery's id, its idempotency key"),
        ("webhook-timestamp", "When it was signed, seconds since 1970"),
        ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body>, space-separated"),
    )
]


class IntakeResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["accepted", "duplicate"])
    event_id = serializers.UUIDField()


def _receipt_response(receipt: Receipt) -> JsonResponse:
    # A plain JsonResponse, not DRF's Response: the answer needs no content negotiation, and
    # skipping DRF's template-response rendering is a measurable part of a burst's CPU.
    if receipt.outcome == "rejected":
        message = (
            "Missing webhook signature"
            if receipt.signature_status == SignatureStatus.MISSING
            else "Invalid webhook signature"
        )
        return JsonResponse(
            error_body(
                401,
                f"signature_{receipt.signature_status}",
                message,
                {"event_id": receipt.event_id, "reason": receipt.reason},
            ),
            status=401,
        )
    return JsonResponse({"status": receipt.outcome, "event_id": receipt.event_id})


class WebhookIntakeView(APIView):
    """``POST /api/v1/webhooks/{provider}``: verified, deduplicated, byte-exact intake."""

    authentication_classes: list[Any] = []  # the signature is the authentication
    permission_classes = [AllowAny]
    parser_classes: list[Any] = []  # the raw bytes are read by hand, bounded
    renderer_classes = [JSONRenderer]
    content_negotiation_class = IgnoreAcceptHeader
    throttle_classes: list[Any] = []
    # Providers send what they send: NUL in a query value is stored cleaned, never refused (a 422
    # would only make them retry). See myloware.api.middleware.ApiEdgeMiddleware.
    edge_checks_text = False

    @extend_schema(
        operation_id="webhooks_receive",
        summary="Receive a provider webhook",
        description=(
            "Verifies the signature on the raw bytes (scheme per provider: standard, kieai, hmac-body, "
            "token), stores the body byte-exact, deduplicates on (provider, idempotency key) and "
            "processes it asynchronously. No API key: the signature is the authentication. 401 "
            "requests are stored for audit (their body within an hourly budget) and never processed; "
            "429 + Retry-After when too many deliveries from the caller's address failed verification."
        ),
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/octet-stream": OpenApiTypes.BINARY,
            "application/x-www-form-urlencoded": OpenApiTypes.OBJECT,
        },
        parameters=[
            OpenApiParameter("run_id", str, OpenApiParameter.QUERY, description="Run this callback concerns"),
            OpenApiParameter("token", str, OpenApiParameter.QUERY, description="Secret of the token scheme"),
            *_STANDARD_WEBHOOK_HEADERS,
        ],
        responses={
            200: OpenApiResponse(
                IntakeResponseSerializer,
                description="Stored (accepted), or a delivery seen before (duplicate)",
            ),
            **errors(
                {
                    401: "Missing or invalid signature (code signature_missing or signature_invalid); stored for audit",
                    404: "No such provider",
                    413: "The body is larger than the provider's limit",
                    415: "A content type the intake does not take",
                    429: "Too many failed verifications from this client; Retry-After says when to retry",
                    503: "The database cannot store the delivery now; retry after Retry-After seconds",
                }
            ),
        },
        tags=[Tag.WEBHOOKS],
    )
    def post(self, request: Request, provider: str) -> JsonResponse:
        raw = request._request
        client = client_ip(raw)
        try:
            webhook_intake_admit(provider=provider, client=client)  # 429 before the body is read
            body = read_body(raw, limit=intake_body_limit(provider))
            receipt = webhook_receive(
                provider=provider,
                body=body,
                headers=dict(raw.headers),
                query={name: raw.GET.get(name, "") for name in raw.GET},
                content_type=raw.META.get("CONTENT_TYPE", ""),
                client=client,
            )
        except DatabaseError:
            # Not stored means not acknowledged: the sender must retry later (never 500, never 410).
            return database_unavailable_response(
                "Cannot store the webhook now; retry later", retry_after=settings.WEBHOOK_RETRY_AFTER
            )
        if receipt.outcome == "unknown_provider":
            raise NotFound(
                f"Unknown webhook provider {provider!r}",
                details={"provider": provider, "event_id": receipt.event_id},
            )
        return _receipt_response(receipt)


# --- operator API -----------------------------------------------------------------------------


class WebhookEventSerializer(serializers.ModelSerializer):
    headers = serializers.DictField(child=serializers.CharField(), read_only=True, help_text="Redacted")
    query = serializers.DictField(child=serializers.CharField(), read_only=True, help_text="Redacted")
    payload_note = serializers.CharField(
        read_only=True, help_text='"body not kept: <why>" when the body was dropped, else empty'
    )

    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "provider",
            "idempotency_key",
            "idempotency_rule",
            "signature_status",
            "signature_reason",
            "status",
            "run_id",
            "attempts",
            "received_at",
            "processed_at",
            "error",
            "content_type",
            "client_address",
            "headers",
            "query",
            "payload_size",
            "payload_sha256",
            "payload_dropped_at",
            "payload_drop_reason",
            "payload_note",
        ]
        # An answer only: every field is read-only, so the document lists each as always present.
        read_only_fields = fields


class WebhookEventDetailSerializer(WebhookEventSerializer):
    payload_base64 = serializers.SerializerMethodField(
        help_text="The raw body, byte-exact (null when it was not kept: see payload_note)"
    )
    payload_text = serializers.SerializerMethodField(
        help_text="The body decoded as UTF-8 (invalid bytes replaced), capped at 64 KiB; null when not kept"
    )

    class Meta(WebhookEventSerializer.Meta):
        fields = [*WebhookEventSerializer.Meta.fields, "payload_base64", "payload_text"]
        read_only_fields = fields

    def get_payload_base64(self, event: WebhookEvent) -> str | None:
        if event.payload_dropped:
            return None
        return base64.b64encode(bytes(event.payload or b"")).decode()

    def get_payload_text(self, event: WebhookEvent) -> str | None:
        if event.payload_dropped:
            return None
        return bytes(event.payload or b"")[:BODY_PREVIEW_LIMIT].decode("utf-8", errors="replace")


class WebhookDLQSerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(read_only=True, allow_null=True)
    dead = serializers.SerializerMethodField()
    due = serializers.BooleanField(
        source="replay_due", read_only=True, help_text="Due for replay now (not dead, retry time reached)"
    )

    class Meta:
        model = WebhookDLQ
        fields = [
            "id",
            "event_id",
            "provider",
            "idempotency_key",
            "error",
            "error_class",
            "retry_count",
            "next_retry_at",
            "last_error_at",
            "dead",
            "dead_at",
            "due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_dead(self, entry: WebhookDLQ) -> bool:
        return entry.is_dead


class WebhookDLQDetailSerializer(WebhookDLQSerializer):
    class Meta(WebhookDLQSerializer.Meta):
        fields = [*WebhookDLQSerializer.Meta.fields, "traceback"]
        read_only_fields = fields


class ReplayResultSerializer(serializers.Serializer):
    entry_id = serializers.UUIDField()
    event_id = serializers.CharField(allow_blank=True)
    provider = serializers.CharField(allow_blank=True)
    outcome = serializers.ChoiceField(choices=["processed", "ignored", "failed", "dead", "missing"])
    error = serializers.CharField(allow_blank=True)


def _choice_param(request: Request, name: str, choices: list[str]) -> str | None:
    value = request.query_params.get(name)
    if value is not None and value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}", details={"field": name})
    return value


class WebhookEventListView(APIView):
    @extend_schema(
        operation_id="webhooks_events_list",
        summary="List stored webhook events, newest first",
        parameters=[
            OpenApiParameter("provider", str),
            OpenApiParameter("signature_status", {"$ref": "#/components/schemas/SignatureStatusEnum"}),
            OpenApiParameter("status", {"$ref": "#/components/schemas/WebhookEventStatusEnum"}),
            OpenApiParameter("run_id", str),
            *PAGE_PARAMETERS,
        ],
        responses={
            200: OpenApiResponse(
                page_serializer(WebhookEventSerializer, "WebhookEventPage"), description="One page of events"
            ),
            **errors({422: "A filter, the cursor or limit is invalid"}),
        },
        tags=[Tag.WEBHOOKS],
    )
    @requires_scope(Scope.WEBHOOKS_READ)
    def get(self, request: Request) -> Response:
        events = selectors.webhook_events(
            provider=request.query_params.get("provider") or None,
            signature_status=_choice_param(request, "signature_status", SignatureStatus.values),
            status=_choice_param(request, "status", EventStatus.values),
            run_id=request.query_params.get("run_id") or None,
        )
        page = keyset_page(
            request,
            events,
            time_field="received_at",
            descending=True,
            serialize=lambda rows: WebhookEventSerializer(rows, many=True).data,
        )
        return Response(page)


class WebhookDLQListView(APIView):
    @extend_schema(
        operation_id="webhooks_dlq_list",
        summary="List dead-letter entries, newest first",
        parameters=[
            OpenApiParameter("provider", str),
            OpenApiParameter(
                "due", bool, description="Only entries due (true) or not due (false) for replay"
            ),
            OpenApiParameter("dead", bool, description="Only parked (true) or live (false) entries"),
            *PAGE_PARAMETERS,
        ],
        responses={
            200: OpenApiResponse(
                page_serializer(WebhookDLQSerializer, "WebhookDLQPage"), description="One page of entries"
            ),
            **errors({422: "A filter, the cursor or limit is invalid"}),
        },
        tags=[Tag.WEBHOOKS],
    )
    @requires_scope(Scope.WEBHOOKS_READ)
    def get(self, request: Request) -> Response:
        entries = selectors.dlq_entries(
            now=timezone.now(),
            provider=request.query_params.get("provider") or None,
            due=parse_bool_param("due", request.query_params.get("due")),
            dead=parse_bool_param("dead", request.query_params.get("dead")),
        )
        page = keyset_page(
            request,
            entries,
            descending=True,
            serialize=lambda rows: WebhookDLQSerializer(rows, many=True).data,
        )
        return Response(page)


class WebhookEventDetailView(RetrieveAPIView):
    serializer_class = WebhookEventDetailSerializer
    queryset = WebhookEvent.objects.all()
    lookup_url_kwarg = "event_id"

    @extend_schema(
        operation_id="webhooks_events_retrieve",
        summary="One stored event with its raw body",
        responses={
            200: OpenApiResponse(WebhookEventDetailSerializer, description="The event with its body"),
            **errors({404: "No event with this id"}),
        },
        tags=[Tag.WEBHOOKS],
    )
    @requires_scope(Scope.WEBHOOKS_READ)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookDLQDetailView(RetrieveAPIView):
    serializer_class = WebhookDLQDetailSerializer
    lookup_url_kwarg = "entry_id"

    def get_queryset(self) -> QuerySet[WebhookDLQ]:
        return selectors.dlq_entry_detail(now=timezone.now())

    @extend_schema(
        operation_id="webhooks_dlq_retrieve",
        summary="One dead-letter entry with its traceback",
        responses={
            200: OpenApiResponse(WebhookDLQDetailSerializer, description="The entry with its traceback"),
            **errors({404: "No entry with this id"}),
        },
        tags=[Tag.WEBHOOKS],
    )
    @requires_scope(Scope.WEBHOOKS_READ)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookDLQReplayView(APIView):
    @extend_schema(
        operation_id="webhooks_dlq_replay",
        summary="Replay one dead-letter entry now (re-runs processing on the stored event)",
        request=None,
        responses={
            200: OpenApiResponse(ReplayResultSerializer, description="What the replay did (outcome)"),
            **errors({404: "No entry with this id", 409: "Another replay of this entry is running"}),
        },
        tags=[Tag.WEBHOOKS],
    )
    @requires_scope(Scope.WEBHOOKS_REPLAY)
    def post(self, request: Request, entry_id: str) -> Response:
        result = dlq_replay(entry_id=str(entry_id), actor=actor_for(request))
        if result.outcome == "busy":
            raise Conflict(result.error, details={"entry_id": str(entry_id)})
        return Response(ReplayResultSerializer(result).data)
