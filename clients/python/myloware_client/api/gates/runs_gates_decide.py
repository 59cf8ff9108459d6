from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.gate_approve_in_request import GateApproveInRequest
from ...models.gate_decision_out import GateDecisionOut
from ...models.gate_name_enum import GateNameEnum
from ...models.gate_reject_in_request import GateRejectInRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    run_id: str,
    gate: GateNameEnum,
    *,
    body: GateApproveInRequest | GateRejectInRequest,
    idempotency_key: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    if not isinstance(x_api_key, Unset):
        headers["X-API-Key"] = x_api_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/runs/{run_id}/gates/{gate}/decision".format(
            run_id=quote(str(run_id), safe=""),
            gate=quote(str(gate), safe=""),
        ),
    }

    if isinstance(body, GateApproveInRequest):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | GateDecisionOut | None:
    if response.status_code == 200:
        response_200 = GateDecisionOut.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = GateDecisionOut.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

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
) -> Response[Error | GateDecisionOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    run_id: str,
    gate: GateNameEnum,
    *,
    client: AuthenticatedClient,
    body: GateApproveInRequest | GateRejectInRequest,
    idempotency_key: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Error | GateDecisionOut]:
    """Approve or reject a gate (idempotent with idempotency_key or Idempotency-Key)

     Requires the API key scope `gates:decide`.

    Args:
        run_id (str):
        gate (GateNameEnum): * `workflow` - Workflow
            * `ideate` - Ideate
            * `prepublish` - Prepublish
        idempotency_key (str | Unset):
        x_api_key (str | Unset):
        body (GateApproveInRequest | GateRejectInRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | GateDecisionOut]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        gate=gate,
        body=body,
        idempotency_key=idempotency_key,
        x_api_key=x_api_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    run_id: str,
    gate: GateNameEnum,
    *,
    client: AuthenticatedClient,
    body: GateApproveInRequest | GateRejectInRequest,
    idempotency_key: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Error | GateDecisionOut | None:
    """Approve or reject a gate (idempotent with idempotency_key or Idempotency-Key)

     Requires the API key scope `gates:decide`.

    Args:
        run_id (str):
        gate (GateNameEnum): * `workflow` - Workflow
            * `ideate` - Ideate
            * `prepublish` - Prepublish
        idempotency_key (str | Unset):
        x_api_key (str | Unset):
        body (GateApproveInRequest | GateRejectInRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | GateDecisionOut
    """

    return sync_detailed(
        run_id=run_id,
        gate=gate,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
        x_api_key=x_api_key,
    ).parsed


async def asyncio_detailed(
    run_id: str,
    gate: GateNameEnum,
    *,
    client: AuthenticatedClient,
    body: GateApproveInRequest | GateRejectInRequest,
    idempotency_key: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Error | GateDecisionOut]:
    """Approve or reject a gate (idempotent with idempotency_key or Idempotency-Key)

     Requires the API key scope `gates:decide`.

    Args:
        run_id (str):
        gate (GateNameEnum): * `workflow` - Workflow
            * `ideate` - Ideate
            * `prepublish` - Prepublish
        idempotency_key (str | Unset):
        x_api_key (str | Unset):
        body (GateApproveInRequest | GateRejectInRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | GateDecisionOut]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        gate=gate,
        body=body,
        idempotency_key=idempotency_key,
        x_api_key=x_api_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    run_id: str,
    gate: GateNameEnum,
    *,
    client: AuthenticatedClient,
    body: GateApproveInRequest | GateRejectInRequest,
    idempotency_key: str | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Error | GateDecisionOut | None:
    """Approve or reject a gate (idempotent with idempotency_key or Idempotency-Key)

     Requires the API key scope `gates:decide`.

    Args:
        run_id (str):
        gate (GateNameEnum): * `workflow` - Workflow
            * `ideate` - Ideate
            * `prepublish` - Prepublish
        idempotency_key (str | Unset):
        x_api_key (str | Unset):
        body (GateApproveInRequest | GateRejectInRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | GateDecisionOut
    """

    return (
        await asyncio_detailed(
            run_id=run_id,
            gate=gate,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
            x_api_key=x_api_key,
        )
    ).parsed
