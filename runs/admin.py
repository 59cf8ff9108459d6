"""Operators' console for runs and gates: the approvals queue and decision page, run pages with
their timeline, and read-only audit tables. Every write goes through runs.services."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from artifacts.models import Artifact
from myloware.admin_utils import BigTableAdminMixin, ReadOnlyAdminMixin, pretty_json
from myloware.api.request import client_ip
from myloware.lib.errors import DomainError
from runs import selectors, services
from runs.models import (
    CallbackEndpoint,
    GatePolicy,
    GateRequest,
    HitlApproval,
    OrchestrationCheckpoint,
    PendingApproval,
    Run,
    RunStatus,
    RunTransition,
)

DECIDE_PERMISSION = "runs.decide_gate"


def admin_actor(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class TransitionInline(ReadOnlyInline):
    model = RunTransition
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = "transition log"


class GateRequestInline(ReadOnlyInline):
    model = GateRequest
    fields = (
        "gate",
        "status",
        "opened_by",
        "opened_at",
        "deadline_at",
        "decided_by",
        "decided_at",
        "callback_status",
    )
    readonly_fields = fields
    ordering = ("opened_at",)


class ApprovalInline(ReadOnlyInline):
    model = HitlApproval
    fields = ("created_at", "gate", "decision", "approver", "approver_ip", "comment")
    readonly_fields = fields
    ordering = ("created_at", "id")


class LatestRowsFormSet(BaseInlineFormSet):
    """Only the newest rows: a run may have hundreds of artifacts, and rendering each as an
    inline form costs ~1.5 ms; the run page links to the full, paginated list instead."""

    max_rows = 50

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_limited"):
            self._limited = super().get_queryset()[: self.max_rows]
        return self._limited


class ArtifactInline(ReadOnlyInline):
    model = Artifact
    formset = LatestRowsFormSet
    fields = ("created_at", "type", "persona", "provider", "link")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    show_change_link = True
    verbose_name_plural = f"artifacts (newest {LatestRowsFormSet.max_rows})"

    @admin.display(description="url")
    def link(self, obj: Any) -> str:
        return safe_link(obj.url)


class CheckpointInline(admin.StackedInline):
    model = OrchestrationCheckpoint
    fields = ("version", "updated_at", "state_pretty")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="state")
    def state_pretty(self, obj: OrchestrationCheckpoint) -> str:
        return pretty_json(obj.state)


def safe_link(url: str | None) -> str:
    if url and url.startswith(("https://", "http://")):
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, url[:80])
    return url or "—"


@admin.register(Run)
class RunAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("run_id", "project", "status", "created_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("=run_id", "=project")
    ordering = ("-created_at", "-run_id")
    readonly_fields = (
        "run_id",
        "project",
        "status",
        "payload_pretty",
        "result_pretty",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = (TransitionInline, GateRequestInline, ApprovalInline, ArtifactInline, CheckpointInline)
    actions = ("cancel_runs", "fail_runs")

    @admin.display(description="payload")
    def payload_pretty(self, obj: Run) -> str:
        return pretty_json(obj.payload)

    @admin.display(description="result")
    def result_pretty(self, obj: Run) -> str:
        return pretty_json(obj.result)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are created by the orchestrator through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail hangs off the run

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        run_id = unquote(object_id)  # the admin quotes primary keys in its URLs ("_" is "_5F")
        extra = {
            **(extra_context or {}),
            "timeline": selectors.run_timeline(run_id=run_id),
            "artifact_count": Artifact.objects.filter(run_id=run_id).count(),
            "artifacts_url": reverse("admin:artifacts_artifact_changelist") + "?" + urlencode({"q": run_id}),
            "publish_url": self._publish_url(request, run_id),
        }
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _publish_url(self, request: HttpRequest, run_id: str) -> str | None:
        """The back-office publish page, offered once the prepublish gate is approved."""
        run = Run.objects.filter(run_id=run_id).only("status").first()
        if run is None or run.status != RunStatus.RUNNING or not request.user.has_perm("socials.publish_run"):
            return None
        if not selectors.gate_is_approved(run_id=run_id, gate="prepublish"):
            return None
        return reverse("admin:socials_publication_publish", args=[run_id])

    def _transition(self, request: HttpRequest, queryset: QuerySet[Run], to: str) -> None:
        moved = 0
        for run in queryset:
            try:
                services.run_transition(
                    run_id=run.run_id, to=to, actor=admin_actor(request), reason="admin action"
                )
                moved += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.WARNING)
        self.message_user(request, f"{moved} run(s) moved to {to}.", messages.SUCCESS)

    @admin.action(description="Cancel selected runs", permissions=["change"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        self._transition(request, queryset, RunStatus.CANCELLED)

    @admin.action(description="Mark selected runs failed", permissions=["change"])
    def fail_runs(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        self._transition(request, queryset, RunStatus.FAILED)


@admin.register(RunTransition)
class RunTransitionAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "run", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status",)
    search_fields = ("=run__run_id", "actor")
    readonly_fields = ("run", "from_status", "to_status", "actor", "reason", "created_at")
    ordering = ("-created_at",)


@admin.register(HitlApproval)
class HitlApprovalAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, admin.ModelAdmin):
    """Append-only: nobody may change or delete a decision, superusers included."""

    list_display = ("created_at", "run", "gate", "decision", "approver", "approver_ip")
    list_filter = ("decision", "gate")
    search_fields = ("=run__run_id", "approver")
    readonly_fields = (
        "run",
        "gate",
        "decision",
        "approver",
        "approver_ip",
        "comment",
        "gate_request",
        "idempotency_key",
        "metadata_pretty",
        "created_at",
    )
    fields = readonly_fields
    ordering = ("-created_at",)

    @admin.display(description="metadata")
    def metadata_pretty(self, obj: HitlApproval) -> str:
        return pretty_json(obj.metadata)


@admin.register(GateRequest)
class GateRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "run",
        "gate",
        "status",
        "opened_at",
        "deadline_at",
        "decided_by",
        "callback_status",
    )
    list_filter = ("status", "gate", "callback_status")
    search_fields = ("=run__run_id",)
    ordering = ("-opened_at",)
    readonly_fields = [f.name for f in GateRequest._meta.fields]


@admin.register(GatePolicy)
class GatePolicyAdmin(admin.ModelAdmin):
    list_display = (
        "project",
        "gate",
        "enabled",
        "deadline_hours",
        "required_approvals",
        "allow_self_approval",
        "approve_to",
        "updated_at",
    )
    list_filter = ("gate", "enabled")
    search_fields = ("project",)
    readonly_fields = ("updated_at",)


@admin.register(CallbackEndpoint)
class CallbackEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "disabled_at", "disabled_reason")
    readonly_fields = ("url", "disabled_at", "disabled_reason")
    actions = ("enable",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Re-enable the selected endpoints", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[CallbackEndpoint]) -> None:
        for endpoint in queryset:
            services.callback_endpoint_enable(url=endpoint.url, actor=admin_actor(request))
        self.message_user(request, "Re-enabled.", messages.SUCCESS)


@admin.register(OrchestrationCheckpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ("run", "version", "updated_at")
    search_fields = ("=run__run_id",)
    readonly_fields = ("run", "version", "updated_at", "state_pretty")
    fields = readonly_fields
    ordering = ("-updated_at",)

    @admin.display(description="state")
    def state_pretty(self, obj: OrchestrationCheckpoint) -> str:
        return pretty_json(obj.state)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PendingApproval)
class PendingApprovalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The approvals queue: open gates, oldest first; a row opens the decision page."""

    list_display = ("gate_link", "project", "run_link", "waiting", "deadline_at")
    list_display_links = None
    list_filter = ("gate",)
    search_fields = ("=run__run_id", "=run__project")
    ordering = ("opened_at", "id")
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[PendingApproval]:
        return super().get_queryset(request).filter(status="open").select_related("run")

    @admin.display(description="gate", ordering="gate")
    def gate_link(self, obj: PendingApproval) -> str:
        url = reverse("admin:runs_pendingapproval_change", args=[obj.pk])
        return format_html('<a href="{}" class="decide-link">{} gate — review</a>', url, obj.gate)

    @admin.display(description="project", ordering="run__project")
    def project(self, obj: PendingApproval) -> str:
        return obj.run.project

    @admin.display(description="run")
    def run_link(self, obj: PendingApproval) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:runs_run_change", args=[quote(obj.run_id)]), obj.run_id
        )

    @admin.display(description="waiting", ordering="opened_at")
    def waiting(self, obj: PendingApproval) -> str:
        overdue = " (overdue)" if obj.deadline_at <= timezone.now() else ""
        return f"{timesince(obj.opened_at)}{overdue}"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The decision page (GET) and the decision itself (POST, CSRF-protected by the admin)."""
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        gate_request = get_object_or_404(GateRequest.objects.select_related("run"), pk=object_id)
        if request.method == "POST":
            return self._decide(request, gate_request)
        return self._decision_page(request, gate_request)

    def _decide(self, request: HttpRequest, gate_request: GateRequest) -> HttpResponse:
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise DjangoPermissionDenied
        here = reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])
        try:
            result = services.gate_decide(
                run_id=gate_request.run_id,
                gate=gate_request.gate,
                decision=request.POST.get("decision", ""),
                actor=admin_actor(request),
                comment=request.POST.get("comment", ""),
                approver_ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
                idempotency_key=request.POST.get("idempotency_key") or None,
                content_hash=request.POST.get("content_hash") or None,
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(here)
        verb = "recorded" if result.recorded else "was already recorded"
        outcome = result.gate_request.status
        self.message_user(
            request,
            f"Your {result.approval.decision if result.approval else 'decision'} of the {gate_request.gate} gate "
            f"of {gate_request.run_id} {verb}; the gate is {outcome}.",
            messages.SUCCESS,
        )
        if result.gate_request.is_open:
            return HttpResponseRedirect(here)
        return HttpResponseRedirect(reverse("admin:runs_pendingapproval_changelist"))

    def _decision_page(self, request: HttpRequest, gate_request: GateRequest) -> HttpResponse:
        by_id = {str(a.id): a for a in Artifact.objects.filter(id__in=gate_request.artifact_ids)}
        artifacts = [by_id[i] for i in gate_request.artifact_ids if i in by_id]
        current_hash = selectors.artifacts_content_hash(gate_request.artifact_ids)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{gate_request.gate} gate of {gate_request.run_id}",
            "gate_request": gate_request,
            "run": gate_request.run,
            "artifacts": artifacts,
            "missing_artifacts": len(gate_request.artifact_ids) - len(artifacts),
            "content_changed": current_hash != gate_request.content_hash,
            "content_hash": current_hash,
            "approvers": selectors.gate_approvers(gate_request=gate_request),
            "decisions": gate_request.approvals.order_by("created_at"),
            "timeline": selectors.run_timeline(run_id=gate_request.run_id),
            "can_decide": gate_request.is_open and request.user.has_perm(DECIDE_PERMISSION),
            # One key per rendering: a double-clicked submit replays the first decision.
            "idempotency_key": uuid.uuid4().hex,
            "now": timezone.now(),
        }
        return TemplateResponse(request, "admin/runs/pendingapproval/decide.html", context)
