"""``GET /api/v1/me``: lets a script check that its key works, the name it acts under and its scopes."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from myloware.api.models import ApiKey, Scope
from myloware.api.request import actor_for
from myloware.api.scopes import any_key
from myloware.api.tags import Tag


class MeView(APIView):
    @extend_schema(
        operation_id="me",
        summary="The API key in use",
        responses=OpenApiResponse(
            inline_serializer(
                "Me",
                {
                    "name": serializers.CharField(),
                    "prefix": serializers.CharField(),
                    "actor": serializers.CharField(help_text="The name decisions and transitions record"),
                    "scopes": serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices)),
                    "legacy_full_access": serializers.BooleanField(
                        help_text="created before scopes existed and given every scope by migration"
                    ),
                },
            ),
            description="The key's name, actor and scopes",
        ),
        tags=[Tag.KEYS],
    )
    @any_key
    def get(self, request: Request) -> Response:
        # APIKeyAuthentication is the only authentication class and IsAuthenticated the default
        # permission, so the user of an admitted request is always the ApiKey row.
        key = cast(ApiKey, request.user)
        return Response(
            {
                "name": key.name,
                "prefix": key.prefix,
                "actor": actor_for(request),
                "scopes": key.scopes,
                "legacy_full_access": key.legacy_full_access,
            }
        )
