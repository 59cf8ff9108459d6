"""Operators' console for runs and gates: the approvals queue and decision page, run pages with
their timeline, and read-only audit tables. Every write goes through runs.services."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.postgres.forms import SimpleArrayField
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

from artifacts.models import Artifact
from myloware.admin_utils import BigTableAdminMixin, ReadOnlyAdminMixin, pretty_json, run_link
from myloware.admin_utils import when as _when
from myloware.api.request import actor_for, client_ip
from myloware.lib.errors import DomainError
from myloware.lib.redact import REDACTED, redact_url
from myloware.lib.text import counted
from myloware.lib.validators import validate_http_url
from runs import selectors, services
from runs.enums import DECISION_NOUNS
from runs.models import (
    CallbackEndpoint,
    Gate,
    GatePolicy,
    GateRequest,
    GateStatus,
    HitlApproval,
    HitlDecision,
    OrchestrationCheckpoint,
    PendingApproval,
    Run,
    RunStatus,
    RunTransition,
)

DECIDE_PERMISSION = "runs.decide_gate"


ARTIFACTS_SHOWN = 50  # the run page lists the newest; the artifact list has them all


@admin.register(Run)
class RunAdmin(BigTableAdminMixin, admin.ModelAdmin):
    """Runs are written by the orchestrator: the run page is a read-only story, not a form."""

    list_display = ("run_id", "project", "status", "held", "created_at", "updated_at")
    list_filter = ("status", "held", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=run_id", "=project")
    ordering = ("-created_at", "-run_id")
    actions = ("cancel_runs", "fail_runs", "hold_runs", "release_runs")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are created by the orchestrator through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail hangs off the run

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Run], search_term: str
    ) -> tuple[QuerySet[Run], bool]:
        """Exact run id or project, else a run id prefix (an index range scan, not a LIKE '%x%')."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(run_id=term) | Q(project=term) | Q(run_id__startswith=term)), False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        # The admin quotes primary keys in its URLs ("_" is "_5F").
        run = get_object_or_404(Run, run_id=unquote(object_id))
        checkpoint = OrchestrationCheckpoint.objects.filter(run=run).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Run {run.run_id}",
            "run": run,
            "stages": selectors.run_stages(run_id=run.run_id, now=timezone.now()),
            "timeline": selectors.run_timeline(run_id=run.run_id),
            "artifacts": Artifact.objects.filter(run=run).order_by("-created_at", "-id")[:ARTIFACTS_SHOWN],
            "artifact_count": Artifact.objects.filter(run=run).count(),
            "artifacts_url": reverse("admin:artifacts_artifact_changelist")
            + "?"
            + urlencode({"q": run.run_id}),
            "open_gate": selectors.run_open_gate(run_id=run.run_id),
            "checkpoint": checkpoint,
            "payload_json": pretty_json(run.payload),
            "result_json": pretty_json(run.result),
            "checkpoint_json": pretty_json(checkpoint.state) if checkpoint else "",
            "can_change": self.has_change_permission(request, run) and not run.is_terminal,
        }
        return TemplateResponse(request, "admin/runs/run/story.html", context)

    def _transition(self, request: HttpRequest, queryset: QuerySet[Run], to: str) -> None:
        moved = 0
        for run in queryset:
            try:
                services.run_transition(
                    run_id=run.run_id, to=to, actor=actor_for(request), reason="admin action"
                )
                moved += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.WARNING)
        self.message_user(request, f"{counted(moved, 'run')} moved to {to}.", messages.SUCCESS)

    @admin.action(description="Cancel selected runs", permissions=["change"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        self._transition(request, queryset, RunStatus.CANCELLED)

    @admin.action(description="Mark selected runs failed", permissions=["change"])
    def fail_runs(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        self._transition(request, queryset, RunStatus.FAILED)

    def has_hold_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("runs.hold_run")

    def _hold(self, request: HttpRequest, queryset: QuerySet[Run], held: bool) -> None:
        run_ids = list(queryset.values_list("run_id", flat=True))
        for run_id in run_ids:
            services.run_hold(run_id=run_id, held=held, actor=actor_for(request))
        done = "placed on legal hold" if held else "released from legal hold"
        self.message_user(request, f"{counted(len(run_ids), 'run')} {done}.", messages.SUCCESS)

    @admin.action(
        description="Place selected runs on legal hold (retention never removes them)", permissions=["hold"]
    )
    def hold_runs(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        self._hold(request, queryset, True)

    @admin.action(description="Release the legal hold of selected runs", permissions=["hold"])
    def release_runs(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        self._hold(request, queryset, False)


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


class RedactedUrlsTextarea(forms.Textarea):
    """URLs one per line, each shown redacted (its secret path never reaches the page)."""

    def format_value(self, value: Any) -> str:
        return "\n".join(redact_url(line.strip()) for line in str(value or "").splitlines() if line.strip())


class GatePolicyForm(forms.ModelForm):
    """A gate policy. Its chat webhook URLs are secrets: the form shows them redacted, one per
    line, and a line left as shown keeps the saved URL it stands for."""

    notify_emails = SimpleArrayField(
        forms.EmailField(), required=False, help_text=GatePolicy._meta.get_field("notify_emails").help_text
    )
    escalate_emails = SimpleArrayField(
        forms.EmailField(), required=False, help_text=GatePolicy._meta.get_field("escalate_emails").help_text
    )
    notify_webhook_urls = forms.CharField(
        required=False,
        widget=RedactedUrlsTextarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text="Slack-compatible chat webhook URLs, one per line (empty: GATE_NOTIFY_WEBHOOK_URLS). "
        "Saved URLs are shown redacted: leave a line as it is to keep its URL.",
    )

    class Meta:
        model = GatePolicy
        fields = [
            "project",
            "gate",
            "enabled",
            "deadline_hours",
            "required_approvals",
            "allow_self_approval",
            "approve_to",
            "approver_users",
            "approver_groups",
            "notify_emails",
            "notify_webhook_urls",
            "escalate_emails",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        saved = self.instance.notify_webhook_urls or []
        self.saved_urls = {redact_url(url): url for url in saved}
        self.initial["notify_webhook_urls"] = "\n".join(saved)

    def clean_notify_webhook_urls(self) -> list[str]:
        urls = []
        for line in filter(None, map(str.strip, self.cleaned_data["notify_webhook_urls"].splitlines())):
            url = self.saved_urls.get(line, line)
            if f"/{REDACTED}#" in url:
                raise ValidationError(f"{line} stands for a URL that is not saved: paste the full URL again")
            validate_http_url(url)
            urls.append(url)
        return list(dict.fromkeys(urls))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        users, groups = data.get("approver_users"), data.get("approver_groups")
        needed = data.get("required_approvals") or 1
        if users and not groups and needed > len(users):
            raise ValidationError(
                f"{needed} approvals are required but only {counted(len(users), 'user')} may decide: "
                "assign more approvers (or a group) or require fewer approvals"
            )
        return data


@admin.register(GatePolicy)
class GatePolicyAdmin(admin.ModelAdmin):
    form = GatePolicyForm
    list_display = (
        "project",
        "gate",
        "enabled",
        "deadline_hours",
        "required_approvals",
        "allow_self_approval",
        "approve_to",
        "told",
        "updated_at",
    )
    list_filter = ("gate", "enabled")
    search_fields = ("project",)
    readonly_fields = ("updated_at",)
    filter_horizontal = ("approver_users", "approver_groups")

    @admin.display(description="notifications")
    def told(self, obj: GatePolicy) -> str:
        """Counts only: the chat URLs are secrets."""
        counts = {
            "e-mail": len(obj.notify_emails),
            "chat": len(obj.notify_webhook_urls),
            "escalation": len(obj.escalate_emails),
        }
        return ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "environment's"


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
            services.callback_endpoint_enable(url=endpoint.url, actor=actor_for(request))
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
    """The approvals queue: open gates, oldest first; decide one (the decision page) or many
    (the bulk actions). Every decision goes through services.gate_decide."""

    change_list_template = "admin/runs/pendingapproval/change_list.html"
    list_display = ("gate_link", "run_link", "project", "under_review", "waiting", "deadline")
    list_display_links = None
    list_filter = ("gate",)
    search_fields = ("=run__run_id", "=run__project")
    ordering = ("opened_at", "id")
    list_per_page = 50
    actions = ("approve_selected", "reject_selected")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PendingApproval]:
        return super().get_queryset(request).filter(status=GateStatus.OPEN).select_related("run")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, {"title": "Approvals queue", **(extra_context or {})})

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(DECIDE_PERMISSION)

    def get_urls(self) -> list[URLPattern]:
        summary = path(
            "summary/", self.admin_site.admin_view(self.summary_view), name="runs_pendingapproval_summary"
        )
        return [summary, *super().get_urls()]

    def summary_view(self, request: HttpRequest) -> JsonResponse:
        """What the header badge and the queue poll (see static/console/console.js)."""
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        summary = selectors.approval_queue_summary(now=timezone.now())
        return JsonResponse(
            {"count": summary.count, "overdue": summary.overdue, "signature": summary.signature}
        )

    @admin.display(description="gate", ordering="gate")
    def gate_link(self, obj: PendingApproval) -> str:
        url = reverse("admin:runs_pendingapproval_change", args=[obj.pk])
        return format_html('<a href="{}" class="decide-link">{} gate — review</a>', url, obj.gate)

    @admin.display(description="project", ordering="run__project")
    def project(self, obj: PendingApproval) -> str:
        return obj.run.project

    @admin.display(description="run")
    def run_link(self, obj: PendingApproval) -> str:
        return run_link(obj.run_id)

    @admin.display(description="under review")
    def under_review(self, obj: PendingApproval) -> str:
        counted = selectors.gate_under_review(gate_request=obj)
        summary = obj.summary.splitlines()[0][:80] if obj.summary else ""
        return format_html("{}<br><small>{}</small>", counted, summary) if summary else counted

    @admin.display(description="waiting", ordering="opened_at")
    def waiting(self, obj: PendingApproval) -> str:
        return format_html(
            '<span title="opened {}">{}</span>', _when(obj.opened_at), timesince(obj.opened_at)
        )

    @admin.display(description="deadline", ordering="deadline_at")
    def deadline(self, obj: PendingApproval) -> str:
        now = timezone.now()
        if obj.deadline_at <= now:
            return format_html(
                '<strong class="overdue" title="{}">overdue by {}</strong>',
                _when(obj.deadline_at),
                timesince(obj.deadline_at, now),
            )
        return format_html(
            '<span title="{}">in {}</span>', _when(obj.deadline_at), timeuntil(obj.deadline_at, now)
        )

    @admin.action(description="Approve selected gates", permissions=["decide"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[PendingApproval]) -> None:
        self._decide_many(request, queryset, HitlDecision.APPROVE, comment="")

    @admin.action(description="Reject selected gates (one comment)…", permissions=["decide"])
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[PendingApproval]
    ) -> HttpResponse | None:
        comment = request.POST.get("comment", "").strip()
        if request.POST.get("confirm") == "yes" and comment:
            self._decide_many(request, queryset, HitlDecision.REJECT, comment=comment)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reject {counted(queryset.count(), 'gate')}?",
            "opts": self.model._meta,
            "gates": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "comment_missing": request.POST.get("confirm") == "yes",
        }
        return TemplateResponse(request, "admin/runs/pendingapproval/bulk_reject.html", context)

    def _decide_many(
        self, request: HttpRequest, queryset: QuerySet[PendingApproval], decision: str, comment: str
    ) -> None:
        done = 0
        for gate_request in queryset[: self.list_per_page]:
            try:
                services.gate_decide(
                    run_id=gate_request.run_id,
                    gate=gate_request.gate,
                    decision=decision,
                    actor=actor_for(request),
                    comment=comment,
                    approver_ip=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""),
                )
                done += 1
            except DomainError as exc:
                self.message_user(
                    request,
                    f"{gate_request.gate} gate of {gate_request.run_id}: {exc.message}",
                    messages.WARNING,
                )
        verb = "Approved" if decision == HitlDecision.APPROVE else "Rejected"
        level = messages.SUCCESS if done else messages.WARNING
        self.message_user(request, f"{verb} {counted(done, 'gate')}.", level)

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
        if not self.has_decide_permission(request):
            raise DjangoPermissionDenied
        try:
            result = services.gate_decide(
                run_id=gate_request.run_id,
                gate=gate_request.gate,
                decision=request.POST.get("decision", ""),
                actor=actor_for(request),
                comment=request.POST.get("comment", ""),
                approver_ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
                idempotency_key=request.POST.get("idempotency_key") or None,
                content_hash=request.POST.get("content_hash") or None,
                chosen_idea_id=request.POST.get("chosen_idea_id") or None,
            )
        except DomainError as exc:
            # Shown next to the buttons, with what the operator typed kept.
            return self._decision_page(request, gate_request, error=exc.message, status=exc.http_status)
        verb = "is recorded" if result.recorded else "was already recorded"
        decision = DECISION_NOUNS.get(result.approval.decision, "decision") if result.approval else "decision"
        self.message_user(
            request,
            f"Your {decision} of the {gate_request.gate} gate of {gate_request.run_id} {verb}; "
            f"the gate is {result.gate_request.status}.",
            messages.SUCCESS,
        )
        if result.gate_request.is_open:
            return HttpResponseRedirect(reverse("admin:runs_pendingapproval_change", args=[gate_request.pk]))
        return HttpResponseRedirect(reverse("admin:runs_pendingapproval_changelist"))

    def _decision_page(
        self, request: HttpRequest, gate_request: GateRequest, error: str = "", status: int = 200
    ) -> HttpResponse:
        by_id = {str(a.id): a for a in Artifact.objects.filter(id__in=gate_request.artifact_ids)}
        artifacts = [by_id[i] for i in gate_request.artifact_ids if i in by_id]
        current_hash = selectors.artifacts_content_hash(gate_request.artifact_ids)
        may_decide = selectors.gate_may_decide(gate_request=gate_request, actor=actor_for(request))
        can_decide = gate_request.is_open and self.has_decide_permission(request) and may_decide
        ideas = selectors.gate_ideas(gate_request=gate_request)
        run = gate_request.run
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{gate_request.gate} gate of {gate_request.run_id}",
            "gate_request": gate_request,
            "run": run,
            "artifacts": artifacts,
            "missing_artifacts": len(gate_request.artifact_ids) - len(artifacts),
            "content_changed": current_hash != gate_request.content_hash,
            "content_hash": current_hash,
            "approvers": selectors.gate_approvers(gate_request=gate_request),
            "decisions": gate_request.approvals.order_by("created_at"),
            "notifications": gate_request.notifications.order_by("id"),
            "timeline": selectors.run_timeline(run_id=gate_request.run_id),
            "assignees": selectors.gate_assignees(gate_request=gate_request),
            "may_decide": may_decide,
            "can_decide": can_decide,
            # Several ideas under review: the approval chooses one (an earlier approver's, or the first).
            "choosing_idea": can_decide and len(ideas) > 1,
            "chosen_idea_id": str(gate_request.chosen_idea_id or next(iter(ideas), "")),
            # One key per rendering: a double-clicked submit replays the first decision.
            "idempotency_key": uuid.uuid4().hex,
            "now": timezone.now(),
            "error": error,
            "comment": request.POST.get("comment", "") if request.method == "POST" else "",
            "is_prepublish": gate_request.gate == Gate.PREPUBLISH,
            "chosen_idea": selectors.chosen_idea(run_id=run.run_id)
            if gate_request.gate == Gate.PREPUBLISH
            else None,
        }
        return TemplateResponse(request, "admin/runs/pendingapproval/decide.html", context, status=status)
