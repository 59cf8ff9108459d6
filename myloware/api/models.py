from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now


class Scope(models.TextChoices):
    """What an API key may do. Each API operation declares the one scope it needs
    (``myloware.api.scopes.requires_scope``); a key without it gets 403 naming it."""

    RUNS = "runs", "runs: read, create and move runs, open gates"
    ARTIFACTS = "artifacts", "artifacts: read and record persona outputs"
    CHECKPOINTS = "checkpoints", "checkpoints: read and write LangGraph checkpoints"
    GATES_DECIDE = "gates:decide", "gates:decide: approve or reject HITL gates"
    KB_READ = "kb:read", "kb:read: read and search the knowledge base"
    KB_WRITE = "kb:write", "kb:write: add, change and delete knowledge-base documents"
    SOCIALS_READ = "socials:read", "socials:read: read accounts, links and publications"
    SOCIALS_WRITE = "socials:write", "socials:write: create, change, delete accounts and links"
    SOCIALS_PUBLISH = "socials:publish", "socials:publish: publish a run to its project's account"
    WEBHOOKS_READ = "webhooks:read", "webhooks:read: read stored webhook events (raw bodies) and the DLQ"
    WEBHOOKS_REPLAY = "webhooks:replay", "webhooks:replay: replay dead-letter entries"
    OPS_READ = "ops:read", "ops:read: read the figures behind /healthz (versions, backlogs, lags, queue)"


ALL_SCOPES: tuple[str, ...] = tuple(Scope.values)
NAME_MAX_LENGTH = 100


class ApiKey(models.Model):
    """An API consumer's key. Only a SHA-256 of the key and a short clear prefix are stored.

    One row per consumer: its name is the actor of what it does, so a rotation gives the row a new
    key and keeps the old one (``previous_*``) for a grace period, rather than adding a row.

    Keys are 256-bit random tokens, so a fast hash is enough (no dictionary to attack); the
    prefix lets operators recognise a key in the admin and lets lookup avoid a full scan.
    """

    name = models.CharField(
        max_length=NAME_MAX_LENGTH, unique=True, help_text="Who uses this key (shown as the actor)"
    )
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The key a rotation replaced, accepted until previous_valid_until (the grace period in which
    # the consumer switches to the new key); one predecessor at most.
    previous_prefix = models.CharField(max_length=16, blank=True, default="", db_index=True, editable=False)
    previous_key_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=32, choices=Scope.choices),
        default=list,
        blank=True,
        help_text="What the key may do (see docs/security.md)",
    )
    # Keys that existed before scopes were given every scope by migration 0003: narrow them.
    legacy_full_access = models.BooleanField(
        default=False,
        help_text="Created before scopes existed; migration 0003 gave it every scope",
    )

    class Meta:
        db_table = "api_keys"
        verbose_name = "API key"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    # DRF treats request.user as authenticated when this is true.
    is_authenticated = True
