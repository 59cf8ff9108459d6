"""The ``operators`` group: what an operator may do in the admin console.

Operators view everything of the control plane and change runs, gate decisions, the DLQ and
the knowledge base. :func:`sync_operators_group` (idempotent) runs after every ``migrate`` and
``flush`` (the post_migrate signal, connected in ``ApiConfig.ready``), like Django's own
permissions: a new model's view permission reaches the group without a data migration, and a
``flush`` (which empties every table, data migrations' rows included: each transactional test
ends with one) never leaves the database without the group. Older data migrations also call it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

OPERATORS_GROUP = "operators"
OUR_APPS = ("api", "runs", "artifacts", "webhooks", "knowledge", "socials", "django_q", "axes")
# Beyond "view" on every model of OUR_APPS; codenames that do not exist (yet) are skipped.
OPERATOR_EXTRA_PERMISSIONS = (
    "runs.change_run",
    "runs.decide_gate",
    "runs.change_gaterequest",
    "webhooks.change_webhookdlq",
    "webhooks.delete_webhookdlq",
    "webhooks.replay_webhookdlq",
    "webhooks.change_webhookevent",
    "webhooks.delete_rejected_webhookevent",
    "webhooks.delete_verificationfailurewindow",
    # Lift a login lock (django-axes): delete its access attempt.
    "axes.delete_accessattempt",
    "knowledge.add_kbdocument",
    "knowledge.change_kbdocument",
    "knowledge.delete_kbdocument",
    "socials.change_social",
    "socials.change_projectsocial",
    "socials.publish_run",
)


def sync_operators_group(apps: Any, schema_editor: Any = None) -> None:
    """Create or update the operators group from the app registry ``apps``: a data migration's
    historical one, or the project's own (after ``migrate`` or ``flush``)."""
    from django.apps import apps as project_apps
    from django.contrib.auth.management import create_permissions
    from django.db.models import Q

    for app_config in apps.get_app_configs():
        if apps is not project_apps:
            app_config.models_module = True  # historical app configs need this for create_permissions
        create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=OPERATORS_GROUP)
    wanted = Q(content_type__app_label__in=OUR_APPS, codename__startswith="view_")
    for label, codename in (item.split(".") for item in OPERATOR_EXTRA_PERMISSIONS):
        wanted |= Q(content_type__app_label=label, codename=codename)
    group.permissions.add(*permission_model.objects.filter(wanted))


def sync_operators_group_after_migrate(sender: Any, apps: Any = None, **kwargs: Any) -> None:
    """post_migrate receiver: ``migrate`` passes its final project state, ``flush`` nothing."""
    from django.apps import apps as project_apps

    apps = apps or project_apps
    try:
        apps.get_model("auth", "Group")
    except LookupError:  # ``migrate auth zero``: no group table to fill (as Django's own receivers)
        return
    sync_operators_group(apps)


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
