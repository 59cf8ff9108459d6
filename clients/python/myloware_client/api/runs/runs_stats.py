import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.run_stats import RunStats
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    project: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_api_key, Unset):
        headers["X-API-Key"] = x_api_key

    params: dict[str, Any] = {}

    params["project"] = project

    json_since: str | Unset = UNSET
    if not isinstance(since, Unset):
        json_since = since.isoformat()
    params["since"] = json_since

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/runs/stats",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | RunStats | None:
    if response.status_code == 200:
        response_200 = RunStats.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | RunStats]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    project: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Error | RunStats]:
    """Counts of runs by status

     Requires the API key scope `runs`.

    Args:
        project (str | Unset):
        since (datetime.datetime | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | RunStats]
    """

    kwargs = _get_kwargs(
        project=project,
        since=since,
        x_api_key=x_api_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    project: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Error | RunStats | None:
    """Counts of runs by status

     Requires the API key scope `runs`.

    Args:
        project (str | Unset):
        since (datetime.datetime | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | RunStats
    """

    return sync_detailed(
        client=client,
        project=project,
        since=since,
        x_api_key=x_api_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    project: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Error | RunStats]:
    """Counts of runs by status

     Requires the API key scope `runs`.

    Args:
        project (str | Unset):
        since (datetime.datetime | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | RunStats]
    """

    kwargs = _get_kwargs(
        project=project,
        since=since,
        x_api_key=x_api_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    project: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Error | RunStats | None:
    """Counts of runs by status

     Requires the API key scope `runs`.

    Args:
        project (str | Unset):
        since (datetime.datetime | Unset):
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | RunStats
    """

    return (
        await asyncio_detailed(
            client=client,
            project=project,
            since=since,
            x_api_key=x_api_key,
        )
    ).parsed
