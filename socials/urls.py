from __future__ import annotations

from django.urls import path

from socials import api

urlpatterns = [
    path("socials", api.SocialListView.as_view(), name="socials-list"),
    path("socials/<uuid:social_id>", api.SocialDetailView.as_view(), name="socials-detail"),
    path("projects/<str:project>/socials", api.ProjectSocialsView.as_view(), name="project-socials"),
    path(
        "projects/<str:project>/socials/<uuid:social_id>",
        api.ProjectSocialDetailView.as_view(),
        name="project-social-detail",
    ),
    path(
        "projects/<str:project>/socials/<uuid:social_id>/primary",
        api.ProjectSocialPrimaryView.as_view(),
        name="project-social-primary",
    ),
    path("projects/<str:project>/publish-target", api.PublishTargetView.as_view(), name="publish-target"),
    path("runs/<str:run_id>/publish", api.RunPublishView.as_view(), name="run-publish"),
    path("runs/<str:run_id>/publications", api.RunPublicationsView.as_view(), name="run-publications"),
    path(
        "publications/<uuid:publication_id>", api.PublicationDetailView.as_view(), name="publication-detail"
    ),
]
