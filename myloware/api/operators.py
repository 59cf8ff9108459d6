"""The ``operators`` group: what an operator may do in the admin console.

Operators view everything of the control plane and change runs, gate decisions, the DLQ and
the knowledge base. Data migrations call :func:`sync_operators_group` (idempotent) whenever an
app adds a model or a permission an operator needs, so the group is always created by migration.
"""

from __future__ import annotations

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
