from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


class ApiKey(models.Model):
    """An API consumer's key. Only a SHA-256 of the key and a short clear prefix are stored.

    Keys are 256-bit random tokens, so a fast hash is enough (no dictionary to attack); the
    prefix lets operators recognise a key in the admin and lets lookup avoid a full scan.
    """

    name = models.CharField(max_length=100, unique=True, help_text="Who uses this key (shown as the actor)")
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "api_keys"
        verbose_name = "API key"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    # DRF treats request.user as authenticated when this is true.
    is_authenticated = True
