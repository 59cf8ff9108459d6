from __future__ import annotations

from django.urls import path

from artifacts import api

urlpatterns = [
    path("runs/<str:run_id>/artifacts", api.RunArtifactsView.as_view(), name="runs-artifacts"),
    path("artifacts", api.ArtifactListView.as_view(), name="artifacts-list"),
]
