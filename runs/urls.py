from __future__ import annotations

from django.urls import path

from runs import api

urlpatterns = [
    path("runs", api.RunListCreateView.as_view(), name="runs-list"),
    path("runs/stats", api.RunStatsView.as_view(), name="runs-stats"),
    path("runs/<str:run_id>", api.RunDetailView.as_view(), name="runs-detail"),
    path("runs/<str:run_id>/transition", api.RunTransitionView.as_view(), name="runs-transition"),
    path("runs/<str:run_id>/timeline", api.RunTimelineView.as_view(), name="runs-timeline"),
    path("runs/<str:run_id>/checkpoint", api.CheckpointView.as_view(), name="runs-checkpoint"),
    path("runs/<str:run_id>/gates", api.GateListOpenView.as_view(), name="runs-gates"),
    path(
        "runs/<str:run_id>/gates/<str:gate>/decision",
        api.GateDecisionView.as_view(),
        name="runs-gate-decision",
    ),
]
