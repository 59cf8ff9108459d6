"""Content negotiation of the API: the answer is JSON whatever the Accept header asks for."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class AlwaysJSON(DefaultContentNegotiation):
    """JSON is the API's only representation, so an Accept header (text/html from a browser,
    anything from a generated client) never turns an answer into a 406: clients get the JSON
    they can always parse, including the JSON error shape."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        # DRF passes the view's renderer list; list() keeps the IndexError of an empty one.
        first = list(renderers)[0]
        return first, first.media_type
