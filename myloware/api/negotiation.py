"""Content negotiation of the API: the answer is JSON whatever the Accept header asks for."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class AlwaysJSON(DefaultContentNegotiation):
    """An Accept header the view can't satisfy (text/html from a browser, anything from a
    generated client) never turns an answer into a 406: the client gets the view's first
    representation, JSON for every API view (and the one JSON error shape). Views with several
    representations (the OpenAPI document: YAML or ?format=json) still negotiate."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            # DRF passes the view's renderer list; [0] keeps the IndexError of an empty one.
            return renderers[0], renderers[0].media_type
