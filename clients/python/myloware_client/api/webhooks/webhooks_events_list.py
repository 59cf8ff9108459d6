from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.signature_status_enum import SignatureStatusEnum
from ...models.webhook_event_page import WebhookEventPage
from ...models.webhook_event_status_enum import WebhookEventStatusEnum
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    provider: str | Unset = UNSET,
    run_id: str | Unset = UNSET,
    signature_status: SignatureStatusEnum | Unset = UNSET,
    status: WebhookEventStatusEnum | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_api_key, Unset):
        headers["X-API-Key"] = x_api_key

    params: dict[str, Any] = {}

    params["cursor"] = cursor

    params["limit"] = limit

    params["provider"] = provider

    params["run_id"] = run_id

    json_signature_status: str | Unset = UNSET
    if not isinstance(signature_status, Unset):
        json_signature_status = signature_status.value

    params["signature_status"] = json_signature_status

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/webhooks/events",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | WebhookEventPage | None:
    if response.status_code == 200:
        response_200 = WebhookEventPage.from_dict(response.json())

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
) -> Response[Error | WebhookEventPage]:
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
    provider: str | Unset = UNSET,
    run_id: str | Unset = UNSET,
    signature_status: SignatureStatusEnum | Unset = UNSET,
    status: WebhookEventStatusEnum | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Error | WebhookEventPage]:
    """List stored webhook events, newest first

     Requires the API key scope `webhooks:read`.

    Args:
        cursor (str | Unset):
        limit (int | Unset):
        provider (str | Unset):
        run_id (str | Unset):
        signature_status (SignatureStatusEnum | Unset): * `valid` - Valid
            * `invalid` - Invalid
            * `missing` - Missing
        status (WebhookEventStatusEnum | Unset): * `received` - Received
            * `processed` - Processed
            * `failed` - Failed
            * `ignored` - Ignored
            * `rejected` - Rejected (not authentic)
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | WebhookEventPage]
    """

    kwargs = _get_kwargs(
        cursor=cursor,
        limit=limit,
        provider=provider,
        run_id=run_id,
        signature_status=signature_status,
        status=status,
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
    provider: str | Unset = UNSET,
    run_id: str | Unset = UNSET,
    signature_status: SignatureStatusEnum | Unset = UNSET,
    status: WebhookEventStatusEnum | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Error | WebhookEventPage | None:
    """List stored webhook events, newest first

     Requires the API key scope `webhooks:read`.

    Args:
        cursor (str | Unset):
        limit (int | Unset):
        provider (str | Unset):
        run_id (str | Unset):
        signature_status (SignatureStatusEnum | Unset): * `valid` - Valid
            * `invalid` - Invalid
            * `missing` - Missing
        status (WebhookEventStatusEnum | Unset): * `received` - Received
            * `processed` - Processed
            * `failed` - Failed
            * `ignored` - Ignored
            * `rejected` - Rejected (not authentic)
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | WebhookEventPage
    """

    return sync_detailed(
        client=client,
        cursor=cursor,
        limit=limit,
        provider=provider,
        run_id=run_id,
        signature_status=signature_status,
        status=status,
        x_api_key=x_api_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    provider: str | Unset = UNSET,
    run_id: str | Unset = UNSET,
    signature_status: SignatureStatusEnum | Unset = UNSET,
    status: WebhookEventStatusEnum | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Response[Error | WebhookEventPage]:
    """List stored webhook events, newest first

     Requires the API key scope `webhooks:read`.

    Args:
        cursor (str | Unset):
        limit (int | Unset):
        provider (str | Unset):
        run_id (str | Unset):
        signature_status (SignatureStatusEnum | Unset): * `valid` - Valid
            * `invalid` - Invalid
            * `missing` - Missing
        status (WebhookEventStatusEnum | Unset): * `received` - Received
            * `processed` - Processed
            * `failed` - Failed
            * `ignored` - Ignored
            * `rejected` - Rejected (not authentic)
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | WebhookEventPage]
    """

    kwargs = _get_kwargs(
        cursor=cursor,
        limit=limit,
        provider=provider,
        run_id=run_id,
        signature_status=signature_status,
        status=status,
        x_api_key=x_api_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    provider: str | Unset = UNSET,
    run_id: str | Unset = UNSET,
    signature_status: SignatureStatusEnum | Unset = UNSET,
    status: WebhookEventStatusEnum | Unset = UNSET,
    x_api_key: str | Unset = UNSET,
) -> Error | WebhookEventPage | None:
    """List stored webhook events, newest first

     Requires the API key scope `webhooks:read`.

    Args:
        cursor (str | Unset):
        limit (int | Unset):
        provider (str | Unset):
        run_id (str | Unset):
        signature_status (SignatureStatusEnum | Unset): * `valid` - Valid
            * `invalid` - Invalid
            * `missing` - Missing
        status (WebhookEventStatusEnum | Unset): * `received` - Received
            * `processed` - Processed
            * `failed` - Failed
            * `ignored` - Ignored
            * `rejected` - Rejected (not authentic)
        x_api_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | WebhookEventPage
    """

    return (
        await asyncio_detailed(
            client=client,
            cursor=cursor,
            limit=limit,
            provider=provider,
            run_id=run_id,
            signature_status=signature_status,
            status=status,
            x_api_key=x_api_key,
        )
    ).parsed
