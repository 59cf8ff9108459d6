from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone

from myloware.admin_utils import when
from myloware.api.models import ApiKey, Scope
from myloware.api.services import api_key_create, api_key_revoke, api_key_rotate, api_key_set_scopes
from myloware.lib.errors import DomainError
from myloware.lib.text import counted


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the key may do; each API operation needs one of these (docs/security.md)",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = (
        "name",
        "prefix",
        "scope_list",
        "legacy_access",
        "created_at",
        "last_used_at",
        "revoked_at",
        "is_active",
        "previous_key",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "legacy_full_access", "created_at")
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "previous_key", "legacy_access", "created_at", "last_used_at", "revoked_at")
    fields = (
        "name",
        "prefix",
        "previous_key",
        "scopes",
        "legacy_access",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ("rotate_selected", "revoke_selected")

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes) or "—"

    @admin.display(description="legacy full access")
    def legacy_access(self, obj: ApiKey) -> str:
        if not obj.legacy_full_access:
            return "no"
        return "yes: created before scopes, given every scope by migration; narrow its scopes"

    @admin.display(description="replaced key")
    def previous_key(self, obj: ApiKey) -> str:
        if obj.previous_valid_until is None:
            return "—"
        ended = obj.previous_valid_until <= timezone.now()
        return (
            f"{obj.previous_prefix}… {'stopped' if ended else 'works until'} {when(obj.previous_valid_until)}"
        )

    @admin.display(boolean=True, description="active")
    def is_active(self, obj: ApiKey) -> bool:
        return obj.is_active

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        # A key's name is its identity in audit logs: fixed once created.
        return (*self.readonly_fields, "name") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        scopes = form.cleaned_data["scopes"]
        if change:
            if "scopes" in form.changed_data:
                api_key_set_scopes(name=obj.name, scopes=scopes)
            return
        try:
            key, raw_key = api_key_create(name=obj.name, scopes=scopes)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = key.pk
        obj.prefix, obj.key_hash, obj.created_at = key.prefix, key.key_hash, key.created_at
        obj._state.adding = False
        self.message_user(
            request,
            f"API key created. Copy it now, it will not be shown again: {raw_key}",
            messages.WARNING,
        )

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Revoke instead of delete, so audit records keep naming a key that existed.
        return False

    @admin.action(
        description="Rotate selected API keys (new keys shown once; old keys work for the grace period)",
        permissions=["change"],
    )
    def rotate_selected(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            try:
                rotated, raw_key = api_key_rotate(name=key.name, now=timezone.now())
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            self.message_user(
                request,
                f"New key for {rotated.name!r}; copy it now, it will not be shown again: {raw_key} "
                f"(the old key works until {when(rotated.previous_valid_until)})",
                messages.WARNING,
            )

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            api_key_revoke(name=key.name)
        self.message_user(request, f"Revoked {counted(queryset.count(), 'key')}.", messages.SUCCESS)
