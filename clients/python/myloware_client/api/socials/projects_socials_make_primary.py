from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.link import Link
from ...types import UNSET, Response, Unset


def _get_kwargs(
    project: str,
    social_id: UUID,
    *,
    x_api_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_api_key, Unset):
        headers["X-API-Key"] = x_api_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/projects/{project}/socials/{social_id}/primary".format(
            project=quote(str(project), safe=""),
            social_id=quote(str(social_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | Link | None:
    if response.status_code == 200:
        response_200 = Link.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 414:
        response_414 = Error.from_dict(response.json())

        return response_414

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 431:
        response_431 = Error.from_dict(response.json())

        return response_431

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | Link]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    project: str,
    social_id: UUID,
    *,
    client: AuthenticatedClient,
    x_api_key: str | Unset = UNSET,
) -> Response[Error | Link]:
    """Make a linked account the project's primary (atomic swap)

     Requires the API key scope `socials:write`.

    Args:
        project (str):
        social_id (UUID):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Link]
    """

    kwargs = _get_kwargs(
        project=project,
        social_id=social_id,
        x_api_key=x_api_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    project: str,
    social_id: UUID,
    *,
    client: AuthenticatedClient,
    x_api_key: str | Unset = UNSET,
) -> Error | Link | None:
    """Make a linked account the project's primary (atomic swap)

     Requires the API key scope `socials:write`.

    Args:
        project (str):
        social_id (UUID):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Link
    """

    return sync_detailed(
        project=project,
        social_id=social_id,
        client=client,
        x_api_key=x_api_key,
    ).parsed


async def asyncio_detailed(
    project: str,
    social_id: UUID,
    *,
    client: AuthenticatedClient,
    x_api_key: str | Unset = UNSET,
) -> Response[Error | Link]:
    """Make a linked account the project's primary (atomic swap)

     Requires the API key scope `socials:write`.

    Args:
        project (str):
        social_id (UUID):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Link]
    """

    kwargs = _get_kwargs(
        project=project,
        social_id=social_id,
        x_api_key=x_api_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    project: str,
    social_id: UUID,
    *,
    client: AuthenticatedClient,
    x_api_key: str | Unset = UNSET,
) -> Error | Link | None:
    """Make a linked account the project's primary (atomic swap)

     Requires the API key scope `socials:write`.

    Args:
        project (str):
        social_id (UUID):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Link
    """

    return (
        await asyncio_detailed(
            project=project,
            social_id=social_id,
            client=client,
            x_api_key=x_api_key,
        )
    ).parsed
