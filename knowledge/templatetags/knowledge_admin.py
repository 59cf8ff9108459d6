"""The search page's snippets with the query's words marked."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from knowledge.selectors import query_terms

register = template.Library()


@register.filter
def marked(snippet: str, query: str) -> SafeString:
    """Escape ``snippet`` and wrap each word starting with a query term in <mark>."""
    terms = sorted(set(query_terms(query)), key=len, reverse=True)
    text = escape(snippet)
    if not terms:
        return mark_safe(text)  # noqa: S308 - escaped above
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(escape(term)) for term in terms) + r")(\w*)", re.IGNORECASE
    )
    return mark_safe(pattern.sub(r"<mark>\1\2</mark>", text))  # noqa: S308 - escaped text, our tags only
