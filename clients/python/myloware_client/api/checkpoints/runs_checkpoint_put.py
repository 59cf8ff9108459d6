from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.checkpoint import Checkpoint
from ...models.checkpoint_put_request import CheckpointPutRequest
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    run_id: str,
    *,
    body: CheckpointPutRequest,
    if_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    if not isinstance(x_api_key, Unset):
        headers["X-API-Key"] = x_api_key

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/v1/runs/{run_id}/checkpoint".format(
            run_id=quote(str(run_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Checkpoint | Error | None:
    if response.status_code == 200:
        response_200 = Checkpoint.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = Checkpoint.from_dict(response.json())

        return response_201

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

    if response.status_code == 412:
        response_412 = Error.from_dict(response.json())

        return response_412

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 414:
        response_414 = Error.from_dict(response.json())

        return response_414

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 428:
        response_428 = Error.from_dict(response.json())

        return response_428

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Checkpoint | Error]:
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
    body: CheckpointPutRequest,
    if_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Checkpoint | Error]:
    """Save the run's orchestrator state (If-Match: the ETag you read)

     Optimistic concurrency: send the ETag you read as If-Match. The first save of a run may omit it (or
    send "0"); once the run has a checkpoint, If-Match is required (428 without it) and must be its
    current version (412 otherwise: reload and retry).

    Requires the API key scope `checkpoints`.

    Args:
        run_id (str):
        if_match (str | Unset):
        x_api_key (str | Unset):
        body (CheckpointPutRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Checkpoint | Error]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        body=body,
        if_match=if_match,
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
    body: CheckpointPutRequest,
    if_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Checkpoint | Error | None:
    """Save the run's orchestrator state (If-Match: the ETag you read)

     Optimistic concurrency: send the ETag you read as If-Match. The first save of a run may omit it (or
    send "0"); once the run has a checkpoint, If-Match is required (428 without it) and must be its
    current version (412 otherwise: reload and retry).

    Requires the API key scope `checkpoints`.

    Args:
        run_id (str):
        if_match (str | Unset):
        x_api_key (str | Unset):
        body (CheckpointPutRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Checkpoint | Error
    """

    return sync_detailed(
        run_id=run_id,
        client=client,
        body=body,
        if_match=if_match,
        x_api_key=x_api_key,
    ).parsed


async def asyncio_detailed(
    run_id: str,
    *,
    client: AuthenticatedClient,
    body: CheckpointPutRequest,
    if_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Checkpoint | Error]:
    """Save the run's orchestrator state (If-Match: the ETag you read)

     Optimistic concurrency: send the ETag you read as If-Match. The first save of a run may omit it (or
    send "0"); once the run has a checkpoint, If-Match is required (428 without it) and must be its
    current version (412 otherwise: reload and retry).

    Requires the API key scope `checkpoints`.

    Args:
        run_id (str):
        if_match (str | Unset):
        x_api_key (str | Unset):
        body (CheckpointPutRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Checkpoint | Error]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        body=body,
        if_match=if_match,
        x_api_key=x_api_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    run_id: str,
    *,
    client: AuthenticatedClient,
    body: CheckpointPutRequest,
    if_match: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Checkpoint | Error | None:
    """Save the run's orchestrator state (If-Match: the ETag you read)

     Optimistic concurrency: send the ETag you read as If-Match. The first save of a run may omit it (or
    send "0"); once the run has a checkpoint, If-Match is required (428 without it) and must be its
    current version (412 otherwise: reload and retry).

    Requires the API key scope `checkpoints`.

    Args:
        run_id (str):
        if_match (str | Unset):
        x_api_key (str | Unset):
        body (CheckpointPutRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Checkpoint | Error
    """

    return (
        await asyncio_detailed(
            run_id=run_id,
            client=client,
            body=body,
            if_match=if_match,
            x_api_key=x_api_key,
        )
    ).parsed
