from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from myloware import console
from myloware.api.me import MeView
from myloware.api.views import api_not_found
from myloware.health import healthz
from myloware.metrics import metrics

api_v1: list[URLPattern | URLResolver] = [
    # First: the provider intake takes bursts, and Django tries patterns in order (each miss
    # costs a regex match and an entry in its "tried" list). The paths do not overlap.
    path("", include("webhooks.urls")),
    path("me", MeView.as_view(), name="api-me"),
    path("", include("runs.urls")),
    path("", include("artifacts.urls")),
    path("", include("knowledge.urls")),
    path("", include("socials.urls")),
]

admin.site.site_header = "MyloWare operators' console"
admin.site.site_title = "MyloWare"
admin.site.site_url = None  # there is no public site: "/" leads to this console

urlpatterns = [
    path("", console.root, name="root"),
    path("favicon.ico", console.favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/", console.api_index, name="api-index"),
    path("api/v1/", console.api_v1_index(api_v1), name="api-v1-index"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
    # Last: any other path under /api/ is a JSON 404 (a segment that is no UUID where one is
    # expected, an unknown endpoint), whatever DEBUG says.
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]

handler404 = "myloware.api.views.not_found"
handler500 = "myloware.api.views.server_error"
