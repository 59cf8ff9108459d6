from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.artifact_page import ArtifactPage
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    persona: str | Unset = UNSET,
    provider: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_api_key, Unset):
        headers["X-API-Key"] = x_api_key

    params: dict[str, Any] = {}

    params["cursor"] = cursor

    params["limit"] = limit

    params["persona"] = persona

    params["provider"] = provider

    params["type"] = type_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/artifacts",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ArtifactPage | Error | None:
    if response.status_code == 200:
        response_200 = ArtifactPage.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ArtifactPage | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    persona: str | Unset = UNSET,
    provider: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[ArtifactPage | Error]:
    """Artifacts across runs, newest first

     Requires the API key scope `artifacts`.

    Args:
        cursor (str | Unset):
        limit (int | Unset):
        persona (str | Unset):
        provider (str | Unset):
        type_ (str | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ArtifactPage | Error]
    """

    kwargs = _get_kwargs(
        cursor=cursor,
        limit=limit,
        persona=persona,
        provider=provider,
        type_=type_,
        x_api_key=x_api_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    persona: str | Unset = UNSET,
    provider: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> ArtifactPage | Error | None:
    """Artifacts across runs, newest first

     Requires the API key scope `artifacts`.

    Args:
        cursor (str | Unset):
        limit (int | Unset):
        persona (str | Unset):
        provider (str | Unset):
        type_ (str | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ArtifactPage | Error
    """

    return sync_detailed(
        client=client,
        cursor=cursor,
        limit=limit,
        persona=persona,
        provider=provider,
        type_=type_,
        x_api_key=x_api_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    persona: str | Unset = UNSET,
    provider: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[ArtifactPage | Error]:
    """Artifacts across runs, newest first

     Requires the API key scope `artifacts`.

    Args:
        cursor (str | Unset):
        limit (int | Unset):
        persona (str | Unset):
        provider (str | Unset):
        type_ (str | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ArtifactPage | Error]
    """

    kwargs = _get_kwargs(
        cursor=cursor,
        limit=limit,
        persona=persona,
        provider=provider,
        type_=type_,
        x_api_key=x_api_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    persona: str | Unset = UNSET,
    provider: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> ArtifactPage | Error | None:
    """Artifacts across runs, newest first

     Requires the API key scope `artifacts`.

    Args:
        cursor (str | Unset):
        limit (int | Unset):
        persona (str | Unset):
        provider (str | Unset):
        type_ (str | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ArtifactPage | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            cursor=cursor,
            limit=limit,
            persona=persona,
            provider=provider,
            type_=type_,
            x_api_key=x_api_key,
        )
    ).parsed
