"""JSON error pages for API paths (HTML stays for the admin)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from myloware.api.middleware import is_api_path
from myloware.lib.errors import error_body


@csrf_exempt  # an API client sends no CSRF token; without this a POST here would be an HTML 403
def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """The last URL pattern under /api/: a JSON 404 for any method, also while DEBUG is on
    (Django would render its technical 404 page instead of calling handler404)."""
    return JsonResponse(error_body(404, "not_found", f"No such endpoint: {request.path}"), status=404)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return JsonResponse(error_body(500, "server_error", "Internal error"), status=500)
    return defaults.server_error(request)
