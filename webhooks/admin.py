"""Admin for webhook traffic and the dead-letter queue (inspection and replay; no hand edits).

Every action and detail-page button calls a service in webhooks.services; bodies are shown as
received (raw_body: text or hex, size, SHA-256), header snapshots are already redacted at intake.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.views.decorators.http import require_POST

from myloware.admin_utils import BigTableAdminMixin, ReadOnlyAdminMixin, pretty_json, raw_body, run_link, when
from myloware.api.request import actor_for
from myloware.lib.text import counted
from webhooks.models import (
    RejectedBodyBudget,
    SignatureStatus,
    VerificationFailureWindow,
    WebhookDLQ,
    WebhookDLQQuerySet,
    WebhookEvent,
    WebhookEventQuerySet,
)
from webhooks.services import (
    ReplayResult,
    dlq_discard,
    dlq_error_groups,
    dlq_park,
    dlq_replay,
    dlq_replay_group,
    dlq_replay_many,
    webhook_event_reprocess,
    webhook_events_delete_rejected,
    webhook_failure_windows_lift,
    webhook_test_delivery,
)
from webhooks.verification import explain

# Lists fit a 1400 px window: long keys and errors are cut (the full text is the cell's tooltip).
ERROR_PREVIEW = 80
KEY_PREVIEW = 20
# Everything is read-only (changes go through actions): no Save buttons on the detail pages.
READ_ONLY_CONTEXT = {
    "show_save": False,
    "show_save_and_continue": False,
    "show_save_and_add_another": False,
    "show_delete": False,  # DLQ entries are discarded through the action (it notes who on the event)
}


def _when(moment: Any) -> str:
    return when(moment)


def _shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[:limit])


class ProviderFilter(admin.SimpleListFilter):
    """Providers from configuration (no DISTINCT scan over a big table), plus any seen in the DLQ."""

    title = "provider"
    parameter_name = "provider"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from django.conf import settings

        return [(slug, slug) for slug in sorted(settings.WEBHOOK_PROVIDERS)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(provider=self.value()) if self.value() else queryset


def _summarise(request: HttpRequest, results: list[ReplayResult], verb: str) -> None:
    ok = sum(1 for result in results if result.ok)
    busy = sum(1 for result in results if result.outcome == "busy")
    failed = len(results) - ok - busy
    level = messages.SUCCESS if not failed else messages.WARNING
    text = f"{verb} {counted(len(results), 'entry', 'entries')}: {ok} succeeded, {failed} failed"
    if busy:
        text += f", {busy} skipped (being replayed by another worker)"
    messages.add_message(request, level, text)
    for result in results:
        if not result.ok and result.outcome != "busy":
            messages.warning(
                request, f"{result.provider} entry {result.entry_id}: {result.outcome} — {result.error}"
            )


@admin.register(WebhookEvent)
class WebhookEventAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = [
        "received_at",
        "provider",
        "signature",
        "status",
        "run",
        "attempts",
    ]  # what else an event says (its key and rule, when processed) is on its page: the list fits 1400 px
    list_filter = [ProviderFilter, "signature_status", "status", ("received_at", admin.DateFieldListFilter)]
    search_fields = ["=idempotency_key", "=run_id"]
    ordering = ["-received_at"]
    actions = ["reprocess_selected", "delete_rejected"]
    fields = (
        "id",
        "provider",
        "received_at",
        "client_address",
        "signature_status",
        "signature_explained",
        "idempotency_key",
        "idempotency_rule",
        "status",
        "attempts",
        "processed_at",
        "error",
        "run",
        "dlq",
        "content_type",
        "headers_snapshot",
        "query_snapshot",
        "body",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        events = cast(WebhookEventQuerySet, super().get_queryset(request))
        return events.with_run_known().defer("payload", "headers")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # events only come from providers

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), **READ_ONLY_CONTEXT, "title": "Webhook event"}
        return super().change_view(request, object_id, form_url, context)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # verified events are the audit trail; rejected ones go by delete_rejected

    def has_delete_rejected_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.delete_rejected_webhookevent")

    @admin.display(description="signature", ordering="signature_status")
    def signature(self, event: WebhookEvent) -> str:
        tone = "ok-text" if event.signature_status == SignatureStatus.VALID else "error-text"
        return format_html(
            '<span class="{}">{}</span> <small>{}</small>',
            tone,
            event.signature_status,
            event.signature_reason,
        )

    @admin.display(description="run", ordering="run_id")
    def run(self, event: WebhookEvent) -> str:
        return run_link(event.run_id, exists=event.run_known)

    @admin.display(description="dead-letter entry")
    def dlq(self, event: WebhookEvent) -> str:
        entry = WebhookDLQ.objects.filter(event=event).only("pk").first()
        if entry is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:webhooks_webhookdlq_change", args=[entry.pk]), entry.pk
        )

    @admin.display(description="headers (secrets redacted)")
    def headers_snapshot(self, event: WebhookEvent) -> str:
        return pretty_json(event.headers)

    @admin.display(description="query (token redacted)")
    def query_snapshot(self, event: WebhookEvent) -> str:
        return pretty_json(event.query)

    @admin.display(description="body (as received)")
    def body(self, event: WebhookEvent) -> str:
        if event.payload_dropped:
            return format_html(
                '<div class="raw-body-meta raw-body-dropped">{} · <span class="raw-body-size">{} bytes</span>'
                ' · SHA-256 <code class="raw-body-sha256">{}</code></div>',
                event.payload_note,
                f"{event.payload_size:,}",
                event.payload_sha256,
            )
        return raw_body(event.payload)

    @admin.display(description="why this verdict")
    def signature_explained(self, event: WebhookEvent) -> str:
        config = settings.WEBHOOK_PROVIDERS.get(event.provider)
        if config is None:
            return f"{event.signature_reason} (provider {event.provider!r} is no longer configured)"
        text = explain(
            config, reason=event.signature_reason, headers=event.headers, received_at=event.received_at
        )
        return format_html(
            '<dl class="signature-explained"><dt>{} — {}</dt><dd>{}</dd><dd><small>scheme: {}; carried in the {}</small></dd></dl>',
            event.signature_status,
            event.signature_reason,
            text["why"],
            text["scheme"],
            text["carrier"],
        )

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<uuid:object_id>/reprocess/",
                self.admin_site.admin_view(require_POST(self.reprocess_view)),
                name="webhooks_webhookevent_reprocess",
            ),
            path(
                "test-delivery/",
                self.admin_site.admin_view(self.test_delivery_view),
                name="webhooks_webhookevent_test_delivery",
            ),
        ]
        return custom + super().get_urls()

    def reprocess_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The detail page's Reprocess button (POST + CSRF): the action's service, for one event."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        event = get_object_or_404(WebhookEvent.objects.only("pk"), pk=object_id)
        result = webhook_event_reprocess(event_id=str(event.pk), actor=actor_for(request))
        level = messages.SUCCESS if result.outcome in ("processed", "ignored") else messages.WARNING
        self.message_user(
            request, f"Reprocessed: {result.outcome}{' — ' + result.error if result.error else ''}", level
        )
        return HttpResponseRedirect(reverse("admin:webhooks_webhookevent_change", args=[event.pk]))

    def test_delivery_view(self, request: HttpRequest) -> HttpResponse:
        """Per configured provider: sign a sample payload with its secret and POST it through the
        real intake (GET lists the providers, POST sends one)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            provider = request.POST.get("provider", "")
            if provider not in settings.WEBHOOK_PROVIDERS:
                self.message_user(request, f"Unknown provider {provider!r}", messages.ERROR)
            else:
                result = webhook_test_delivery(
                    provider=provider, base_url=request.build_absolute_uri("/"), actor=actor_for(request)
                )
                self._report_test_delivery(request, result)
            return HttpResponseRedirect(reverse("admin:webhooks_webhookevent_test_delivery"))
        providers = [
            {
                "slug": slug,
                "scheme": config.scheme,
                "has_secret": bool(config.secrets),
                "handler": config.handler,
            }
            for slug, config in sorted(settings.WEBHOOK_PROVIDERS.items())
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Send a test delivery",
            "opts": self.model._meta,
            "providers": providers,
        }
        return TemplateResponse(request, "admin/webhooks/webhookevent/test_delivery.html", context)

    def _report_test_delivery(self, request: HttpRequest, result: Any) -> None:
        link = (
            format_html(
                ' <a href="{}">open the stored event</a>',
                reverse("admin:webhooks_webhookevent_change", args=[result.event_id]),
            )
            if result.event_id
            else ""
        )
        ok = result.http_status == 200 and result.outcome in ("accepted", "duplicate")
        text = format_html(
            "Test delivery to {}: HTTP {} {}{}{}",
            result.provider,
            result.http_status or "—",
            result.outcome,
            f" ({result.detail})" if result.detail else "",
            link,
        )
        self.message_user(request, text, messages.SUCCESS if ok else messages.ERROR)

    @admin.action(description="Reprocess selected valid events", permissions=["change"])
    def reprocess_selected(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        actor = actor_for(request)
        ids = list(queryset.values_list("pk", flat=True)[:500])
        results = [webhook_event_reprocess(event_id=str(pk), actor=actor) for pk in ids]
        done = sum(1 for result in results if result.outcome in ("processed", "ignored"))
        skipped = sum(1 for result in results if result.outcome == "skipped")
        failed = len(results) - done - skipped
        level = messages.SUCCESS if not failed else messages.WARNING
        text = f"Reprocessed {counted(done, 'event')}"
        if failed:
            text += f"; {failed} failed (see the dead-letter queue)"
        if skipped:
            text += f"; {skipped} skipped (not valid: unauthenticated events are never processed)"
        self.message_user(request, text, level)

    @admin.action(description="Delete selected rejected events…", permissions=["delete_rejected"])
    def delete_rejected(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> HttpResponse | None:
        """Rejected (unauthenticated) events only, after a confirmation; verified ones stay."""
        rejected = queryset.exclude(signature_status=SignatureStatus.VALID)
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Delete rejected webhook events?",
                "opts": self.model._meta,
                "events": rejected.only("pk", "provider", "received_at", "signature_reason")[:500],
                "verified": queryset.filter(signature_status=SignatureStatus.VALID).count(),
                "action": "delete_rejected",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/webhooks/webhookevent/delete_rejected_confirmation.html", context
            )
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:500]]
        deleted = webhook_events_delete_rejected(event_ids=ids, actor=actor_for(request))
        kept = len(ids) - deleted
        text = f"Deleted {counted(deleted, 'rejected event')}"
        if kept:
            text += f"; {counted(kept, 'verified event')} kept (they are the audit trail)"
        self.message_user(request, text, messages.SUCCESS)
        return None


class DLQStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("due", "Due for replay"), ("waiting", "Waiting (backoff)"), ("dead", "Dead (parked)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[WebhookDLQ]) -> QuerySet[WebhookDLQ]:
        # The changelist starts from WebhookDLQ.objects, a WebhookDLQQuerySet.
        entries, now = cast(WebhookDLQQuerySet, queryset), timezone.now()
        if self.value() == "due":
            return entries.due(now)
        if self.value() == "waiting":
            return entries.waiting(now)
        if self.value() == "dead":
            return entries.dead()
        return queryset


@admin.register(WebhookDLQ)
class WebhookDLQAdmin(BigTableAdminMixin, admin.ModelAdmin):
    change_list_template = "admin/webhooks/webhookdlq/change_list.html"
    list_display = [
        "provider",
        "key",
        "state",
        "short_error",
        "retries",
        "last_error",
    ]  # the stored event is linked from the entry's page: the list fits 1400 px
    list_filter = [ProviderFilter, DLQStateFilter]
    search_fields = ["=idempotency_key", "error"]
    ordering = ["-created_at"]
    actions = ["replay_now", "park", "discard"]
    fields = (
        "id",
        "provider",
        "idempotency_key",
        "event_link",
        "state",
        "retry_count",
        "next_retry",
        "last_error_at",
        "dead_at",
        "error",
        "error_class",
        "traceback_display",
        "created_at",
        "updated_at",
        "headers_snapshot",
        "body",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDLQ]:
        entries = cast(WebhookDLQQuerySet, super().get_queryset(request))
        return entries.defer("payload", "traceback").with_due(timezone.now())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), **READ_ONLY_CONTEXT, "title": "Dead-letter entry"}
        return super().change_view(request, object_id, form_url, context)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.replay_webhookdlq")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "discard" (with its own confirmation) replaces it
        return actions

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "errors/",
                self.admin_site.admin_view(self.error_groups_view),
                name="webhooks_webhookdlq_errors",
            ),
            path(
                "<uuid:object_id>/replay/",
                self.admin_site.admin_view(require_POST(self.replay_view)),
                name="webhooks_webhookdlq_replay",
            ),
        ]
        return custom + super().get_urls()

    @admin.display(description="state")
    def state(self, entry: WebhookDLQ) -> str:
        now = timezone.now()
        if entry.is_dead:
            return format_html(
                '<strong class="error-text" title="parked {}">DEAD</strong>', _when(entry.dead_at)
            )
        retry_at = entry.next_retry_at
        # Not dead and not due implies a retry time; the None test only narrows the type.
        if entry.replay_due or retry_at is None:
            return format_html('<span class="warn-text">due now</span>')
        seconds = (retry_at - now).total_seconds()
        wait = timeuntil(retry_at, now) if seconds >= 60 else "< 1 minute"
        return format_html('<span title="next retry at {}">retry in {}</span>', _when(retry_at), wait)

    @admin.display(description="error", ordering="error")
    def short_error(self, entry: WebhookDLQ) -> str:
        return _shortened(entry.error or "", ERROR_PREVIEW)

    @admin.display(description="retries", ordering="retry_count")
    def retries(self, entry: WebhookDLQ) -> int:
        return entry.retry_count

    @admin.display(description="last error", ordering="last_error_at")
    def last_error(self, entry: WebhookDLQ) -> str:
        if entry.last_error_at is None:
            return "—"
        return format_html(
            '<span title="{}">{} ago</span>', _when(entry.last_error_at), timesince(entry.last_error_at)
        )

    @admin.display(description="idempotency key", ordering="idempotency_key")
    def key(self, entry: WebhookDLQ) -> str:
        return _shortened(entry.idempotency_key, KEY_PREVIEW)

    @admin.display(description="event")
    def event_link(self, entry: WebhookDLQ) -> str:
        if not entry.event_id:
            return "—"
        url = reverse("admin:webhooks_webhookevent_change", args=[entry.event_id])
        return format_html('<a href="{}">{}</a>', url, entry.event_id)

    @admin.display(description="traceback")
    def traceback_display(self, entry: WebhookDLQ) -> str:
        return format_html('<pre class="pre-wrap">{}</pre>', entry.traceback or "—")

    @admin.display(description="headers (secrets redacted)")
    def headers_snapshot(self, entry: WebhookDLQ) -> str:
        return pretty_json(entry.headers)

    @admin.display(description="body (as received)")
    def body(self, entry: WebhookDLQ) -> str:
        return raw_body(entry.payload)

    @admin.display(description="next retry at")
    def next_retry(self, entry: WebhookDLQ) -> str:
        return _when(entry.next_retry_at) if entry.next_retry_at else "—"

    def replay_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The detail page's Replay button (POST + CSRF): the action's service, for one entry."""
        if not self.has_replay_permission(request):
            raise PermissionDenied
        entry = get_object_or_404(WebhookDLQ.objects.only("pk"), pk=object_id)
        result = dlq_replay(entry_id=str(entry.pk), actor=actor_for(request))
        _summarise(request, [result], "Replayed")
        if WebhookDLQ.objects.filter(pk=entry.pk).exists():
            return HttpResponseRedirect(reverse("admin:webhooks_webhookdlq_change", args=[entry.pk]))
        return HttpResponseRedirect(reverse("admin:webhooks_webhookdlq_changelist"))

    @admin.action(description="Replay now (re-run processing on the stored events)", permissions=["replay"])
    def replay_now(self, request: HttpRequest, queryset: QuerySet[WebhookDLQ]) -> None:
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:500]]
        _summarise(request, dlq_replay_many(entry_ids=ids, actor=actor_for(request)), "Replayed")

    @admin.action(description="Park as dead (stop automatic retries)", permissions=["change"])
    def park(self, request: HttpRequest, queryset: QuerySet[WebhookDLQ]) -> None:
        actor = actor_for(request)
        parked = sum(dlq_park(entry_id=str(pk), actor=actor) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"Parked {counted(parked, 'entry', 'entries')} as dead", messages.SUCCESS)

    @admin.action(description="Discard (delete for good)…", permissions=["delete"])
    def discard(self, request: HttpRequest, queryset: QuerySet[WebhookDLQ]) -> HttpResponse | None:
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Discard dead-letter entries?",
                "opts": self.model._meta,
                "entries": queryset,
                "action": "discard",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/webhooks/webhookdlq/discard_confirmation.html", context)
        actor = actor_for(request)
        discarded = sum(
            dlq_discard(entry_id=str(pk), actor=actor) for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Discarded {counted(discarded, 'entry', 'entries')}", messages.SUCCESS)
        return None

    def error_groups_view(self, request: HttpRequest) -> HttpResponse:
        """The seed's "most common DLQ errors", with a "replay group" button per row."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_replay_permission(request):
                raise PermissionDenied
            provider, error = request.POST.get("provider", ""), request.POST.get("error", "")
            results = dlq_replay_group(provider=provider, error=error, actor=actor_for(request))
            _summarise(request, results, f"From the {provider} group, replayed")
            return HttpResponseRedirect(reverse("admin:webhooks_webhookdlq_errors"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Dead-letter errors by provider",
            "opts": self.model._meta,
            "groups": dlq_error_groups(),
            "can_replay": self.has_replay_permission(request),
        }
        return TemplateResponse(request, "admin/webhooks/webhookdlq/error_groups.html", context)


@admin.register(RejectedBodyBudget)
class RejectedBodyBudgetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """How much of the hourly budget for bodies of rejected deliveries each provider used, and
    how many bodies were dropped beyond it (kept 7 days)."""

    list_display = ["hour", "provider", "kept_bytes", "bodies_kept", "dropped_bytes", "bodies_dropped"]
    list_filter = ["provider"]
    ordering = ["-hour", "provider"]


@admin.register(VerificationFailureWindow)
class VerificationFailureWindowAdmin(admin.ModelAdmin):
    """Senders whose deliveries failed verification, per provider; those at the limit get 429
    until their window ends. "Lift" forgets a window (e.g. after fixing a provider's secret)."""

    list_display = ["provider", "client", "window_start", "failures", "refused"]
    list_filter = ["provider"]
    search_fields = ["=client"]
    ordering = ["-window_start"]
    actions = ["lift"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "lift" (through the service, logged) replaces it
        return actions

    @admin.display(description="refused now", boolean=True)
    def refused(self, window: VerificationFailureWindow) -> bool:
        return window.refuses(timezone.now())

    @admin.action(description="Lift the limit of the selected senders", permissions=["delete"])
    def lift(self, request: HttpRequest, queryset: QuerySet[VerificationFailureWindow]) -> None:
        ids = list(queryset.values_list("pk", flat=True)[:500])
        lifted = webhook_failure_windows_lift(window_ids=ids, actor=actor_for(request))
        self.message_user(request, f"Lifted the limit of {counted(lifted, 'sender')}", messages.SUCCESS)
