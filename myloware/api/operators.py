"""The ``operators`` group: what an operator may do in the admin console.

Operators view everything of the control plane and change runs, gate decisions, the DLQ and
the knowledge base. Data migrations call :func:`sync_operators_group` (idempotent) whenever an
app adds a model or a permission an operator needs, so the group is always created by migration.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

OPERATORS_GROUP = "operators"
OUR_APPS = ("api", "runs", "artifacts", "webhooks", "knowledge", "socials", "django_q")
# Beyond "view" on every model of OUR_APPS; codenames that do not exist (yet) are skipped.
OPERATOR_EXTRA_PERMISSIONS = (
    "runs.change_run",
    "runs.decide_gate",
    "runs.change_gaterequest",
    "webhooks.change_webhookdlq",
    "webhooks.delete_webhookdlq",
    "webhooks.replay_webhookdlq",
    "webhooks.change_webhookevent",
    "knowledge.add_kbdocument",
    "knowledge.change_kbdocument",
    "knowledge.delete_kbdocument",
    "socials.change_social",
    "socials.change_projectsocial",
    "socials.publish_run",
)


def sync_operators_group(apps: Any, schema_editor: Any = None) -> None:
    """Create or update the operators group from the historical app registry ``apps``."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # historical app configs need this for create_permissions
        create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=OPERATORS_GROUP)
    views = permission_model.objects.filter(
        content_type__app_label__in=OUR_APPS, codename__startswith="view_"
    )
    extras = [
        permission_model.objects.filter(content_type__app_label=label, codename=codename).first()
        for label, codename in (item.split(".") for item in OPERATOR_EXTRA_PERMISSIONS)
    ]
    group.permissions.add(*views, *[perm for perm in extras if perm is not None])


def operator_superuser_ensure(*, username: str, password_file: Path) -> str | None:
    """Create the local operator superuser once; returns its generated password when created.

    The password is random (never a fixed default) and saved to ``password_file`` (mode 0600,
    git-ignored folder) so it can be looked up again; existing users are left untouched.
    """
    from django.contrib.auth.models import Group, User

    if User.objects.filter(username=username).exists():
        return None
    password = secrets.token_urlsafe(12)
    user = User.objects.create_superuser(username=username, email="", password=password)
    group = Group.objects.filter(name=OPERATORS_GROUP).first()
    if group:
        user.groups.add(group)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(f"{username}\n{password}\n")
    password_file.chmod(0o600)
    return password
