from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.checkpoint import Checkpoint
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    run_id: str,
    *,
    if_none_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_none_match, Unset):
        headers["If-None-Match"] = if_none_match

    if not isinstance(x_api_key, Unset):
        headers["X-API-Key"] = x_api_key

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/runs/{run_id}/checkpoint".format(
            run_id=quote(str(run_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Checkpoint | Error | None:
    if response.status_code == 200:
        response_200 = Checkpoint.from_dict(response.json())

        return response_200

    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Checkpoint | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    run_id: str,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Any | Checkpoint | Error]:
    """The run's latest orchestrator state (ETag = version; version 0 before the first save)

     Requires the API key scope `checkpoints`.

    Args:
        run_id (str):
        if_none_match (str | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Checkpoint | Error]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        if_none_match=if_none_match,
        x_api_key=x_api_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    run_id: str,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Any | Checkpoint | Error | None:
    """The run's latest orchestrator state (ETag = version; version 0 before the first save)

     Requires the API key scope `checkpoints`.

    Args:
        run_id (str):
        if_none_match (str | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Checkpoint | Error
    """

    return sync_detailed(
        run_id=run_id,
        client=client,
        if_none_match=if_none_match,
        x_api_key=x_api_key,
    ).parsed


async def asyncio_detailed(
    run_id: str,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Any | Checkpoint | Error]:
    """The run's latest orchestrator state (ETag = version; version 0 before the first save)

     Requires the API key scope `checkpoints`.

    Args:
        run_id (str):
        if_none_match (str | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Checkpoint | Error]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        if_none_match=if_none_match,
        x_api_key=x_api_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    run_id: str,
    *,
    client: AuthenticatedClient,
    if_none_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Any | Checkpoint | Error | None:
    """The run's latest orchestrator state (ETag = version; version 0 before the first save)

     Requires the API key scope `checkpoints`.

    Args:
        run_id (str):
        if_none_match (str | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Checkpoint | Error
    """

    return (
        await asyncio_detailed(
            run_id=run_id,
            client=client,
            if_none_match=if_none_match,
            x_api_key=x_api_key,
        )
    ).parsed
