"""Back office for accounts, project links and publications. Writes go through socials.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms.models import construct_instance
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from myloware.admin_utils import BigTableAdminMixin, pretty_json
from myloware.api.request import actor_for
from myloware.lib.errors import DomainError
from runs.services import run_get
from socials import selectors, services
from socials.credentials import credential_resolves
from socials.models import ProjectSocial, Publication, Social


def _resolves_label(social: Social) -> str:
    if not social.credential_ref:
        return "no reference (fake publisher, DEBUG only)"
    return "resolves: yes" if credential_resolves(social.credential_ref) else "resolves: no"


class SocialForm(forms.ModelForm):
    class Meta:
        model = Social
        fields = services.SOCIAL_FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns (the stubs say it may be None)
        try:
            # The service's own validation, so the admin and the API accept exactly the same.
            cleaned = services.social_fields_clean({name: data.get(name) for name in services.SOCIAL_FIELDS})
        except DomainError as exc:
            raise ValidationError(
                {field: errors for field, errors in exc.details.items()} or exc.message
            ) from None
        data.update(cleaned)
        return data


class ProjectSocialInline(admin.TabularInline):
    """Read-only: links change through the link admin and its "make primary" action (atomic swap)."""

    model = ProjectSocial
    fields = ("project", "is_primary", "created_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # no empty row either (it would show an unsaved link's placeholders)


@admin.register(Social)
class SocialAdmin(admin.ModelAdmin):
    form = SocialForm
    list_display = (
        "account",
        "provider",
        "credential_ref",
        "credential_status",
        "rate_limit_window",
        "next_publish_allowed",
        "projects",
        "created_at",
    )
    list_filter = ("provider",)
    search_fields = ("account_id", "credential_ref", "project_links__project")
    readonly_fields = ("id", "created_at", "credential_status", "next_publish_allowed", "publish_history")
    fieldsets = (
        (None, {"fields": ("id", "provider", "account_id", "created_at")}),
        ("Credential", {"fields": ("credential_ref", "credential_status")}),
        ("Defaults", {"fields": ("default_caption", "default_tags", "privacy")}),
        ("Rate limit", {"fields": ("rate_limit_window", "next_publish_allowed")}),
        ("Publish history (latest 20)", {"fields": ("publish_history",)}),
    )
    inlines = (ProjectSocialInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Social]:
        return super().get_queryset(request).prefetch_related("project_links")

    @admin.display(description="account", ordering="account_id")
    def account(self, obj: Social) -> str:
        return str(obj)

    @admin.display(description="credential")
    def credential_status(self, obj: Social) -> str:
        # Whether the reference resolves, never what it resolves to.
        return _resolves_label(obj) if obj.pk else "—"

    @admin.display(description="next publish allowed")
    def next_publish_allowed(self, obj: Social) -> str:
        if not obj.pk:
            return "—"
        at = selectors.social_next_publish_at(obj)
        if at is None or at <= timezone.now():
            return "now"
        return f"{timezone.localtime(at):%Y-%m-%d %H:%M:%S %Z}"

    @admin.display(description="projects")
    def projects(self, obj: Social) -> str:
        links = sorted(obj.project_links.all(), key=lambda link: link.project)
        return ", ".join(f"{link.project}{' (primary)' if link.is_primary else ''}" for link in links) or "—"

    @admin.display(description="publish history")
    def publish_history(self, obj: Social) -> str:
        rows = selectors.social_publications(social_id=obj.pk) if obj.pk else []
        if not rows:
            return "No publications yet."
        body = format_html_join(
            "",
            "<tr><td>{}</td><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{timezone.localtime(row.requested_at):%Y-%m-%d %H:%M:%S}",
                    reverse("admin:socials_publication_change", args=[row.pk]),
                    row.run_id,
                    row.status + (" (fake)" if row.fake else ""),
                    row.publish_url or "",
                    row.error[:200],
                )
                for row in rows
            ),
        )
        header = "<tr><th>requested</th><th>run</th><th>status</th><th>URL</th><th>error</th></tr>"
        return format_html("<table>{}{}</table>", mark_safe(header), body)  # noqa: S308 - literal

    def save_model(self, request: HttpRequest, obj: Social, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data.get(name) for name in services.SOCIAL_FIELDS}
        actor = actor_for(request)
        try:
            if change:
                saved = services.social_update(social_id=obj.pk, changes=fields, actor=actor)
            else:
                saved = services.social_create(actor=actor, **fields)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Social) -> None:
        try:
            services.social_delete(social_id=obj.pk, actor=actor_for(request))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)


class ProjectSocialForm(forms.ModelForm):
    class Meta:
        model = ProjectSocial
        fields = ("project", "social", "is_primary")

    def clean_project(self) -> str:
        try:
            return services.project_slug_check(self.cleaned_data["project"])
        except DomainError as exc:
            raise ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns (the stubs say it may be None)
        project, social = data.get("project"), data.get("social")
        if project and social and ProjectSocial.objects.filter(project=project, social=social).exists():
            raise ValidationError(f"Account {social} is already linked to project {project!r}")
        return data

    def _post_clean(self) -> None:
        # Skip the model's constraint validation: it would refuse a second primary, which
        # project_social_link turns into an atomic swap (and it re-checks duplicates under the
        # project lock). Only build the instance from the form.
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]  # private BaseModelForm API, not in django-stubs


@admin.register(ProjectSocial)
class ProjectSocialAdmin(admin.ModelAdmin):
    form = ProjectSocialForm
    list_display = ("project", "social", "is_primary", "created_at")
    list_filter = ("is_primary", "social__provider")
    search_fields = ("project", "social__account_id")
    list_select_related = ("social",)
    actions = ("make_primary",)
    ordering = ("project", "-is_primary", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ProjectSocial | None = None) -> tuple[str, ...]:
        # A link is created or deleted; the primary moves only through the atomic swap action.
        return ("project", "social", "is_primary", "created_at") if obj else ("created_at",)

    def save_model(self, request: HttpRequest, obj: ProjectSocial, form: Any, change: bool) -> None:
        if change:
            return
        try:
            link = services.project_social_link(
                project=obj.project,
                social_id=obj.social_id,
                is_primary=obj.is_primary,
                actor=actor_for(request),
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk, obj.created_at = link.pk, link.created_at
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: ProjectSocial) -> None:
        services.project_social_unlink(project=obj.project, social_id=obj.social_id, actor=actor_for(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProjectSocial]) -> None:
        for link in queryset:
            self.delete_model(request, link)

    @admin.action(description="Make primary for its project", permissions=["change"])
    def make_primary(self, request: HttpRequest, queryset: QuerySet[ProjectSocial]) -> None:
        links = list(queryset)
        projects = [link.project for link in links]
        if len(set(projects)) != len(projects):
            self.message_user(request, "Select at most one account per project.", messages.ERROR)
            return
        for link in links:
            try:
                services.project_social_make_primary(
                    project=link.project, social_id=link.social_id, actor=actor_for(request)
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
        self.message_user(
            request, f"Primary account set for {', '.join(sorted(projects))}.", messages.SUCCESS
        )


class PublishForm(forms.Form):
    caption = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Empty: the account's default"
    )
    tags = forms.CharField(
        required=False, help_text="Space or comma separated; empty: the account's defaults"
    )
    privacy = forms.CharField(required=False, help_text="Empty: the account's default")
    video_url = forms.CharField(required=False, help_text="Empty: the run's final render")

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {}
        if data["caption"]:
            kwargs["caption"] = data["caption"]
        if data["tags"]:
            kwargs["tags"] = [tag for tag in data["tags"].replace(",", " ").split() if tag]
        for name in ("privacy", "video_url"):
            if data[name]:
                kwargs[name] = data[name].strip()
        return kwargs


@admin.register(Publication)
class PublicationAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ("requested_at", "run", "account", "status", "fake", "publish_url", "attempts")
    list_filter = ("status", "fake", "platform")
    search_fields = ("run__run_id", "idempotency_key", "provider_request_id", "account_id")
    date_hierarchy = None
    ordering = ("-requested_at",)
    readonly_fields = (
        "id",
        "run",
        "social",
        "platform",
        "account_id",
        "status",
        "fake",
        "video_url",
        "caption",
        "tags",
        "privacy",
        "idempotency_key",
        "provider_request_id",
        "publish_url",
        "error",
        "attempts",
        "actor",
        "requested_at",
        "started_at",
        "completed_at",
        "status_polls",
        "last_polled_at",
        "next_poll_at",
        "created_at",
        "updated_at",
        "response",
    )
    exclude = ("provider_response",)
    list_select_related = ("run",)

    @admin.display(description="account", ordering="account_id")
    def account(self, obj: Publication) -> str:
        return f"{obj.platform}:{obj.account_id}"

    @admin.display(description="provider response")
    def response(self, obj: Publication) -> str:
        return pretty_json(obj.provider_response)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Publication | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Publication | None = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "publish/<str:run_id>/",
                self.admin_site.admin_view(self.publish_run_view),
                name="socials_publication_publish",
            )
        ]
        return custom + super().get_urls()

    def publish_run_view(self, request: HttpRequest, run_id: str) -> HttpResponse:
        """Publish a run from the back office (the run page links here after prepublish approval)."""
        if not request.user.has_perm("socials.publish_run"):
            raise PermissionDenied
        try:
            run = run_get(run_id=run_id)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:socials_publication_changelist"))
        form = PublishForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                publication, created = services.publication_request(
                    run_id=run_id, actor=actor_for(request), **form.service_kwargs()
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                note = (
                    "Publication queued." if created else "This content was published before: first result."
                )
                self.message_user(request, note, messages.SUCCESS if created else messages.WARNING)
                return HttpResponseRedirect(
                    reverse("admin:socials_publication_change", args=[publication.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Publish run {run.run_id}",
            "run": run,
            "form": form,
            "target": self._target(run.project),
            "refusal": selectors.run_publish_refusal(run),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/socials/publication/publish_run.html", context)

    def _target(self, project: str) -> dict[str, Any] | None:
        try:
            social = selectors.project_publish_target(project=project)
        except DomainError:
            return None
        next_at = selectors.social_next_publish_at(social)
        return {
            "social": social,
            "credential": _resolves_label(social),
            "next_publish_allowed": next_at if next_at and next_at > timezone.now() else None,
        }
