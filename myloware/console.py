"""Site-level pages around the admin: the root, the favicon and the API's index documents."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import URLPattern, URLResolver, reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = settings.BASE_DIR / "static" / "console" / "favicon.ico"


@require_safe
def root(request: HttpRequest) -> HttpResponse:
    """Operators land on the console; there is no public site."""
    return HttpResponseRedirect(reverse("admin:index"))


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")


@require_safe
def api_index(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "versions": {"v1": request.build_absolute_uri("/api/v1/")},
            "docs": request.build_absolute_uri(reverse("swagger-ui")),
            "schema": request.build_absolute_uri(reverse("schema")),
            "authentication": "X-API-Key header (manage.py create_api_key NAME)",
        }
    )


def api_v1_index(patterns: list[URLPattern | URLResolver]) -> Callable[[HttpRequest], JsonResponse]:
    """The v1 endpoints, read from the URL configuration itself (so the list never goes stale)."""

    @require_safe
    def view(request: HttpRequest) -> JsonResponse:
        endpoints = sorted({f"/api/v1/{route}" for route in _routes(patterns)} - {"/api/v1/"})
        return JsonResponse(
            {
                "endpoints": endpoints,
                "docs": request.build_absolute_uri(reverse("swagger-ui")),
                "authentication": "X-API-Key header",
            }
        )

    return view


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        here = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes.extend(_routes(list(pattern.url_patterns), here))
        else:
            routes.append(here)
    return routes
