"""Publishing's part of the runs pages (run page, prepublish gate page): the runs app shows them
without importing socials."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from runs.models import Run
from socials import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def run_publish_link(context: dict[str, Any], run: Run) -> str | None:
    """The back-office publish page of ``run``, when this operator may publish it now."""
    if not context["request"].user.has_perm("socials.publish_run"):
        return None
    if selectors.run_publish_refusal(run) is not None:
        return None
    return reverse("admin:socials_publication_publish", args=[run.run_id])


@register.simple_tag
def publish_preview(project: str) -> dict[str, Any]:
    """Where a run of ``project`` would be published (socials.selectors.publish_preview)."""
    return selectors.publish_preview(project=project)
