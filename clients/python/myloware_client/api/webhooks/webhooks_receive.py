from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.intake_response import IntakeResponse
from ...models.webhooks_receive_data_body import WebhooksReceiveDataBody
from ...models.webhooks_receive_json_body import WebhooksReceiveJsonBody
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    provider: str,
    *,
    body: WebhooksReceiveJsonBody | File | WebhooksReceiveDataBody | Unset = UNSET,
    run_id: str | Unset = UNSET,
    token: str | Unset = UNSET,
    webhook_id: str | Unset = UNSET,
    webhook_signature: str | Unset = UNSET,
    webhook_timestamp: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(webhook_id, Unset):
        headers["webhook-id"] = webhook_id

    if not isinstance(webhook_signature, Unset):
        headers["webhook-signature"] = webhook_signature

    if not isinstance(webhook_timestamp, Unset):
        headers["webhook-timestamp"] = webhook_timestamp

    params: dict[str, Any] = {}

    params["run_id"] = run_id

    params["token"] = token

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/webhooks/{provider}".format(
            provider=quote(str(provider), safe=""),
        ),
        "params": params,
    }

    if isinstance(body, WebhooksReceiveJsonBody):
        if not isinstance(body, Unset):
            _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, File):
        if not isinstance(body, Unset):
            _kwargs["content"] = body.payload
        headers["Content-Type"] = "application/octet-stream"
    if isinstance(body, WebhooksReceiveDataBody):
        if not isinstance(body, Unset):
            _kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | IntakeResponse | None:
    if response.status_code == 200:
        response_200 = IntakeResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

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

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

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
) -> Response[Error | IntakeResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    provider: str,
    *,
    client: AuthenticatedClient,
    body: WebhooksReceiveJsonBody | File | WebhooksReceiveDataBody | Unset = UNSET,
    run_id: str | Unset = UNSET,
    token: str | Unset = UNSET,
    webhook_id: str | Unset = UNSET,
    webhook_signature: str | Unset = UNSET,
    webhook_timestamp: str | Unset = UNSET,
) -> Response[Error | IntakeResponse]:
    """Receive a provider webhook

     Verifies the signature on the raw bytes (scheme per provider: standard, kieai, hmac-body, token),
    stores the body byte-exact, deduplicates on (provider, idempotency key) and processes it
    asynchronously. No API key: the signature is the authentication. 401 requests are stored for audit
    (their body within an hourly budget) and never processed; 429 + Retry-After when too many deliveries
    from the caller's address failed verification.

    Args:
        provider (str):
        run_id (str | Unset):
        token (str | Unset):
        webhook_id (str | Unset):
        webhook_signature (str | Unset):
        webhook_timestamp (str | Unset):
        body (WebhooksReceiveJsonBody | Unset):
        body (File | Unset):
        body (WebhooksReceiveDataBody | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | IntakeResponse]
    """

    kwargs = _get_kwargs(
        provider=provider,
        body=body,
        run_id=run_id,
        token=token,
        webhook_id=webhook_id,
        webhook_signature=webhook_signature,
        webhook_timestamp=webhook_timestamp,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    provider: str,
    *,
    client: AuthenticatedClient,
    body: WebhooksReceiveJsonBody | File | WebhooksReceiveDataBody | Unset = UNSET,
    run_id: str | Unset = UNSET,
    token: str | Unset = UNSET,
    webhook_id: str | Unset = UNSET,
    webhook_signature: str | Unset = UNSET,
    webhook_timestamp: str | Unset = UNSET,
) -> Error | IntakeResponse | None:
    """Receive a provider webhook

     Verifies the signature on the raw bytes (scheme per provider: standard, kieai, hmac-body, token),
    stores the body byte-exact, deduplicates on (provider, idempotency key) and processes it
    asynchronously. No API key: the signature is the authentication. 401 requests are stored for audit
    (their body within an hourly budget) and never processed; 429 + Retry-After when too many deliveries
    from the caller's address failed verification.

    Args:
        provider (str):
        run_id (str | Unset):
        token (str | Unset):
        webhook_id (str | Unset):
        webhook_signature (str | Unset):
        webhook_timestamp (str | Unset):
        body (WebhooksReceiveJsonBody | Unset):
        body (File | Unset):
        body (WebhooksReceiveDataBody | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | IntakeResponse
    """

    return sync_detailed(
        provider=provider,
        client=client,
        body=body,
        run_id=run_id,
        token=token,
        webhook_id=webhook_id,
        webhook_signature=webhook_signature,
        webhook_timestamp=webhook_timestamp,
    ).parsed


async def asyncio_detailed(
    provider: str,
    *,
    client: AuthenticatedClient,
    body: WebhooksReceiveJsonBody | File | WebhooksReceiveDataBody | Unset = UNSET,
    run_id: str | Unset = UNSET,
    token: str | Unset = UNSET,
    webhook_id: str | Unset = UNSET,
    webhook_signature: str | Unset = UNSET,
    webhook_timestamp: str | Unset = UNSET,
) -> Response[Error | IntakeResponse]:
    """Receive a provider webhook

     Verifies the signature on the raw bytes (scheme per provider: standard, kieai, hmac-body, token),
    stores the body byte-exact, deduplicates on (provider, idempotency key) and processes it
    asynchronously. No API key: the signature is the authentication. 401 requests are stored for audit
    (their body within an hourly budget) and never processed; 429 + Retry-After when too many deliveries
    from the caller's address failed verification.

    Args:
        provider (str):
        run_id (str | Unset):
        token (str | Unset):
        webhook_id (str | Unset):
        webhook_signature (str | Unset):
        webhook_timestamp (str | Unset):
        body (WebhooksReceiveJsonBody | Unset):
        body (File | Unset):
        body (WebhooksReceiveDataBody | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | IntakeResponse]
    """

    kwargs = _get_kwargs(
        provider=provider,
        body=body,
        run_id=run_id,
        token=token,
        webhook_id=webhook_id,
        webhook_signature=webhook_signature,
        webhook_timestamp=webhook_timestamp,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    provider: str,
    *,
    client: AuthenticatedClient,
    body: WebhooksReceiveJsonBody | File | WebhooksReceiveDataBody | Unset = UNSET,
    run_id: str | Unset = UNSET,
    token: str | Unset = UNSET,
    webhook_id: str | Unset = UNSET,
    webhook_signature: str | Unset = UNSET,
    webhook_timestamp: str | Unset = UNSET,
) -> Error | IntakeResponse | None:
    """Receive a provider webhook

     Verifies the signature on the raw bytes (scheme per provider: standard, kieai, hmac-body, token),
    stores the body byte-exact, deduplicates on (provider, idempotency key) and processes it
    asynchronously. No API key: the signature is the authentication. 401 requests are stored for audit
    (their body within an hourly budget) and never processed; 429 + Retry-After when too many deliveries
    from the caller's address failed verification.

    Args:
        provider (str):
        run_id (str | Unset):
        token (str | Unset):
        webhook_id (str | Unset):
        webhook_signature (str | Unset):
        webhook_timestamp (str | Unset):
        body (WebhooksReceiveJsonBody | Unset):
        body (File | Unset):
        body (WebhooksReceiveDataBody | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | IntakeResponse
    """

    return (
        await asyncio_detailed(
            provider=provider,
            client=client,
            body=body,
            run_id=run_id,
            token=token,
            webhook_id=webhook_id,
            webhook_signature=webhook_signature,
            webhook_timestamp=webhook_timestamp,
        )
    ).parsed
