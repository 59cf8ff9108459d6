"""REST API of the socials app: accounts, project links, publish target, publishing."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from myloware.api.input import NO_NUL_PATTERN, WHITESPACE
from myloware.api.models import Scope
from myloware.api.pagination import PAGE_PARAMETERS, keyset_page, page_serializer
from myloware.api.request import actor_for
from myloware.api.schema import errors
from myloware.api.scopes import requires_scope
from myloware.api.serializers import JsonObjectField, StrictInputSerializer, text_with_pattern
from myloware.api.tags import Tag
from myloware.lib.errors import InvalidInput, NotFound
from socials import selectors, services
from socials.credentials import credential_resolves
from socials.models import Publication, Social

# The patterns state the rules of socials.services (which trims and lower-cases the provider).
_WS = f"[{WHITESPACE}]*"
_PROVIDER_PATTERN = rf"^{_WS}[A-Za-z0-9][A-Za-z0-9_-]{{0,31}}{_WS}$"
# file: references exist only where SOCIALS_CREDENTIAL_FILE_DIR allows them (the document says so).
_FILE_REF = (
    rf"|file:{re.escape(settings.SOCIALS_CREDENTIAL_FILE_DIR.rstrip('/'))}/[^\u0000]*"
    if settings.SOCIALS_CREDENTIAL_FILE_DIR
    else ""
)
# env: references name a variable inside the configured namespace (socials.credentials), at most
# 128 characters in all.
_ENV_PREFIX = settings.SOCIALS_CREDENTIAL_ENV_PREFIX
_ENV_REF = rf"env:{re.escape(_ENV_PREFIX)}[A-Za-z0-9_]{{1,{128 - len(_ENV_PREFIX)}}}"
_CREDENTIAL_REF_PATTERN = rf"^{_WS}({_ENV_REF}{_FILE_REF})?{_WS}$"
# What socials.fetch.video_url_check accepts before a job fetches anything: http(s), a host, no
# userinfo (the allowed hosts are checked by the job).
_VIDEO_URL_PATTERN = (
    rf"^{_WS}[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?(:[0-9]{{1,4}})?"
    rf"([/?#][^\u0000{WHITESPACE}]*)?{_WS}$"
)
# 1-200 characters once trimmed (the length is of the trimmed text, so no maxLength).
_ACCOUNT_ID_PATTERN = rf"^{_WS}[^{WHITESPACE}\u0000]([^\u0000]{{0,198}}[^{WHITESPACE}\u0000])?{_WS}$"
# A tag: one word (a leading "#" is dropped), at most MAX_TAG_LENGTH characters.
_WORD = f"[^{WHITESPACE}\\u0000]"
_TAG_PATTERN = rf"^{_WS}#*[^{WHITESPACE}\u0000#]{_WORD}{{0,{services.MAX_TAG_LENGTH - 1}}}{_WS}$"


def _tags_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=text_with_pattern(_TAG_PATTERN), max_length=services.MAX_TAGS, **kwargs
    )


PROJECT_PARAM = OpenApiParameter(
    "project", str, OpenApiParameter.PATH, pattern=services.PROJECT_SLUG.pattern, description="Project slug"
)


class SocialSerializer(serializers.ModelSerializer):
    default_tags = serializers.ListField(child=serializers.CharField(), read_only=True, allow_null=True)
    credential_resolves = serializers.SerializerMethodField(
        help_text="Whether credential_ref currently resolves (the secret itself is never returned)"
    )
    next_publish_allowed_at = serializers.SerializerMethodField(
        help_text="When the rate-limit window allows the next publish; null = now"
    )

    class Meta:
        model = Social
        fields = [
            "id",
            "provider",
            "account_id",
            "credential_ref",
            "credential_resolves",
            "default_caption",
            "default_tags",
            "privacy",
            "rate_limit_window",
            "next_publish_allowed_at",
            "created_at",
        ]
        # An answer only: every field is read-only, so the document lists each as always present.
        read_only_fields = fields

    def get_credential_resolves(self, social: Social) -> bool:
        return bool(social.credential_ref) and credential_resolves(social.credential_ref)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_publish_allowed_at(self, social: Social) -> str | None:
        at = selectors.social_next_publish_at(social)
        return at.isoformat() if at else None


class SocialWriteSerializer(StrictInputSerializer):
    """Shape check; the rules live in socials.services (422) and the patterns here state them."""

    provider = text_with_pattern(
        _PROVIDER_PATTERN, help_text="Platform slug, e.g. tiktok (stored lower-case, trimmed)"
    )
    account_id = text_with_pattern(
        _ACCOUNT_ID_PATTERN, help_text="The upload-post profile (user) of the account (stored trimmed)"
    )
    credential_ref = text_with_pattern(
        _CREDENTIAL_REF_PATTERN,
        required=False,
        help_text=(
            "env:<SOCIALS_CREDENTIAL_ENV_PREFIX><NAME> (PUBLISH_CREDENTIAL_<NAME> by default), or "
            "file:/path inside SOCIALS_CREDENTIAL_FILE_DIR when that is set"
        ),
    )
    default_caption = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=services.MAX_CAPTION
    )
    default_tags = _tags_field(required=False, allow_null=True)
    privacy = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=50)
    rate_limit_window = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=services.MAX_WINDOW_SECONDS,
        help_text="Seconds between two publishes to this account",
    )


class LinkSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    project = serializers.CharField()
    is_primary = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    social = SocialSerializer()


class LinkCreateSerializer(StrictInputSerializer):
    social_id = serializers.UUIDField()
    is_primary = serializers.BooleanField(default=False)


class PublishSerializer(StrictInputSerializer):
    caption = text_with_pattern(
        NO_NUL_PATTERN, max_chars=services.MAX_CAPTION, required=False, help_text="Default: the account's"
    )
    tags = _tags_field(required=False, help_text="Default: the account's")
    privacy = serializers.CharField(required=False, help_text="Default: the account's")
    video_url = text_with_pattern(
        _VIDEO_URL_PATTERN,
        required=False,
        help_text="Default: the run's final render (render.url artifact / result.renderUrl)",
    )


class PublicationSerializer(serializers.ModelSerializer):
    run_id = serializers.CharField()
    social_id = serializers.UUIDField()
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    provider_response = JsonObjectField(
        read_only=True, allow_null=True, help_text="The provider's answer (secret-looking keys masked)"
    )

    class Meta:
        model = Publication
        fields = [
            "id",
            "run_id",
            "social_id",
            "platform",
            "account_id",
            "status",
            "video_url",
            "caption",
            "tags",
            "privacy",
            "idempotency_key",
            "publish_url",
            "provider_request_id",
            "provider_response",
            "error",
            "fake",
            "attempts",
            "actor",
            "requested_at",
            "started_at",
            "completed_at",
            "created_at",
        ]
        read_only_fields = fields


class PublishResponseSerializer(serializers.Serializer):
    duplicate = serializers.BooleanField(
        help_text="True when this content was published before (first result)"
    )
    publication = PublicationSerializer()


def _social_payload(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key in services.SOCIAL_FIELDS}


class SocialListView(APIView):
    @extend_schema(
        operation_id="socials_list",
        summary="List social accounts, newest first",
        parameters=PAGE_PARAMETERS,
        responses={
            200: OpenApiResponse(
                page_serializer(SocialSerializer, "SocialPage"), description="One page of accounts"
            ),
            **errors({422: "The cursor or limit is invalid"}),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_READ)
    def get(self, request: Request) -> Response:
        page = keyset_page(
            request,
            Social.objects.all(),
            descending=True,
            serialize=lambda rows: SocialSerializer(rows, many=True).data,
        )
        return Response(page)

    @extend_schema(
        operation_id="socials_create",
        summary="Create a social account",
        request=SocialWriteSerializer,
        responses={
            201: OpenApiResponse(SocialSerializer, description="The new account"),
            **errors(
                {
                    409: "An account of this provider and account_id exists",
                    422: "A field breaks its rule (details name each)",
                }
            ),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_WRITE)
    def post(self, request: Request) -> Response:
        body = SocialWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        social = services.social_create(actor=actor_for(request), **_social_payload(body.validated_data))
        return Response(SocialSerializer(social).data, status=status.HTTP_201_CREATED)


class SocialDetailView(APIView):
    @extend_schema(
        operation_id="socials_retrieve",
        summary="Get a social account",
        responses={
            200: OpenApiResponse(SocialSerializer, description="The account"),
            **errors({404: "No account with this id"}),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_READ)
    def get(self, request: Request, social_id: str) -> Response:
        return Response(SocialSerializer(services.social_get(social_id=social_id)).data)

    @extend_schema(
        operation_id="socials_update",
        summary="Change a social account",
        request=SocialWriteSerializer(partial=True),
        responses={
            200: OpenApiResponse(SocialSerializer, description="The account, changed"),
            **errors(
                {
                    404: "No account with this id",
                    409: "Another account has this provider and account_id",
                    422: "A field breaks its rule (details name each)",
                }
            ),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_WRITE)
    def patch(self, request: Request, social_id: str) -> Response:
        body = SocialWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = _social_payload(body.validated_data)
        social = services.social_update(social_id=social_id, changes=changes, actor=actor_for(request))
        return Response(SocialSerializer(social).data)

    @extend_schema(
        operation_id="socials_delete",
        summary="Delete a social account (refused once it has publications)",
        responses={
            204: OpenApiResponse(description="Deleted, with its project links"),
            **errors({404: "No account with this id", 409: "The account has publications: it is kept"}),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_WRITE)
    def delete(self, request: Request, social_id: str) -> Response:
        services.social_delete(social_id=social_id, actor=actor_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectSocialsView(APIView):
    @extend_schema(
        operation_id="projects_socials_list",
        parameters=[PROJECT_PARAM, *PAGE_PARAMETERS],
        summary="List a project's linked accounts, oldest link first (is_primary marks the primary)",
        responses={
            200: OpenApiResponse(
                page_serializer(LinkSerializer, "ProjectSocialPage"),
                description="One page of the project's links",
            ),
            **errors({422: "The project is no slug, or the cursor or limit is invalid"}),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_READ)
    def get(self, request: Request, project: str) -> Response:
        services.project_slug_check(project)
        page = keyset_page(
            request,
            selectors.project_links(project=project),
            descending=False,
            serialize=lambda rows: LinkSerializer(rows, many=True).data,
        )
        return Response(page)

    @extend_schema(
        operation_id="projects_socials_link",
        parameters=[PROJECT_PARAM],
        summary="Link an account to a project (is_primary swaps the primary atomically)",
        request=LinkCreateSerializer,
        responses={
            201: OpenApiResponse(LinkSerializer, description="The new link"),
            **errors(
                {
                    404: "No account with this social_id",
                    409: "The account is already linked to the project",
                    422: "The project is no slug",
                }
            ),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_WRITE)
    def post(self, request: Request, project: str) -> Response:
        body = LinkCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = services.project_social_link(project=project, actor=actor_for(request), **body.validated_data)
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unlink an account from a project (?social_id=...)",
        operation_id="projects_socials_unlink_by_query",
        parameters=[PROJECT_PARAM, OpenApiParameter("social_id", OpenApiTypes.UUID, required=True)],
        responses={
            204: OpenApiResponse(description="Unlinked"),
            **errors({404: "The account is not linked to the project", 422: "social_id is no UUID"}),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_WRITE)
    def delete(self, request: Request, project: str) -> Response:
        social_id = request.query_params.get("social_id", "")
        return _unlink(request, project, social_id)


def _unlink(request: Request, project: str, social_id: str) -> Response:
    try:
        social_id = str(serializers.UUIDField().to_internal_value(social_id))
    except serializers.ValidationError:
        raise InvalidInput("social_id must be a UUID", details={"social_id": social_id}) from None
    services.project_social_unlink(project=project, social_id=social_id, actor=actor_for(request))
    return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectSocialDetailView(APIView):
    @extend_schema(
        operation_id="projects_socials_unlink",
        parameters=[PROJECT_PARAM],
        summary="Unlink an account from a project",
        responses={
            204: OpenApiResponse(description="Unlinked"),
            **errors({404: "The account is not linked to the project"}),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_WRITE)
    def delete(self, request: Request, project: str, social_id: str) -> Response:
        return _unlink(request, project, social_id)


class ProjectSocialPrimaryView(APIView):
    @extend_schema(
        operation_id="projects_socials_make_primary",
        parameters=[PROJECT_PARAM],
        summary="Make a linked account the project's primary (atomic swap)",
        request=None,
        responses={
            200: OpenApiResponse(LinkSerializer, description="The link, now primary"),
            **errors({404: "The account is not linked to the project"}),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_WRITE)
    def post(self, request: Request, project: str, social_id: str) -> Response:
        link = services.project_social_make_primary(
            project=project, social_id=social_id, actor=actor_for(request)
        )
        return Response(LinkSerializer(link).data)


class PublishTargetView(APIView):
    @extend_schema(
        operation_id="projects_publish_target",
        parameters=[PROJECT_PARAM],
        summary="The project's primary account (404 naming the project when it has none)",
        responses={
            200: OpenApiResponse(SocialSerializer, description="The project's primary account"),
            **errors({404: "The project has no primary account"}),
        },
        tags=[Tag.SOCIALS],
    )
    @requires_scope(Scope.SOCIALS_READ)
    def get(self, request: Request, project: str) -> Response:
        return Response(SocialSerializer(selectors.project_publish_target(project=project)).data)


class RunPublishView(APIView):
    @extend_schema(
        operation_id="runs_publish",
        summary="Publish a run's final video to its project's primary account",
        description=(
            "202 with the new publication (the upload runs as a background job); 200 with the first "
            "publication when the same content was requested before. 409 when the run is not running "
            "(details.current_status) or its prepublish gate is not approved; 429 with Retry-After inside "
            "the account's rate-limit window; 422 for refused video URLs."
        ),
        request=PublishSerializer,
        responses={
            202: OpenApiResponse(PublishResponseSerializer, description="Queued: the new publication"),
            200: OpenApiResponse(
                PublishResponseSerializer,
                description="The same content was requested before: its publication",
            ),
            **errors(
                {
                    404: "No run with this run_id",
                    409: "The run is not running, its prepublish gate is not approved, or its project has no primary account",
                    422: "The video URL is refused, or a field breaks its rule",
                    429: "Inside the account's rate-limit window; Retry-After says when to retry",
                }
            ),
        },
        tags=[Tag.PUBLISHING],
    )
    @requires_scope(Scope.SOCIALS_PUBLISH)
    def post(self, request: Request, run_id: str) -> Response:
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        publication, created = services.publication_request(
            run_id=run_id, actor=actor_for(request), **body.validated_data
        )
        publication.refresh_from_db()
        data = {"duplicate": not created, "publication": PublicationSerializer(publication).data}
        return Response(data, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class RunPublicationsView(APIView):
    @extend_schema(
        operation_id="runs_publications_list",
        summary="A run's publications, newest first",
        parameters=PAGE_PARAMETERS,
        responses={
            200: OpenApiResponse(
                page_serializer(PublicationSerializer, "PublicationPage"),
                description="One page of publications",
            ),
            **errors({422: "The cursor or limit is invalid"}),
        },
        tags=[Tag.PUBLISHING],
    )
    @requires_scope(Scope.SOCIALS_READ)
    def get(self, request: Request, run_id: str) -> Response:
        page = keyset_page(
            request,
            Publication.objects.filter(run_id=run_id),
            descending=True,
            serialize=lambda rows: PublicationSerializer(rows, many=True).data,
        )
        return Response(page)


class PublicationDetailView(APIView):
    @extend_schema(
        operation_id="publications_retrieve",
        summary="One publication",
        responses={
            200: OpenApiResponse(PublicationSerializer, description="The publication"),
            **errors({404: "No publication with this id"}),
        },
        tags=[Tag.PUBLISHING],
    )
    @requires_scope(Scope.SOCIALS_READ)
    def get(self, request: Request, publication_id: str) -> Response:
        publication = Publication.objects.filter(pk=publication_id).first()
        if publication is None:
            raise NotFound(f"Publication {publication_id} does not exist")
        return Response(PublicationSerializer(publication).data)
