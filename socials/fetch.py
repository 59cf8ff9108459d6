"""Fetch a video to upload without becoming a proxy into our own network (SSRF guard).

Rules (each refusal is a :class:`VideoRefused`, a 422 with a reason):

- only ``http``/``https`` URLs, without credentials in them: never ``file:``, never a bare path;
- the host must match ``SOCIALS_VIDEO_ALLOWED_HOSTS`` (exact name or ``*.suffix``);
- the host is resolved and **every** address must be public (not private, loopback,
  link-local, shared, reserved, multicast, unspecified, site-local or outside IPv6 global
  unicast; an IPv6 address that embeds an IPv4 one — mapped, compatible, NAT64, 6to4, Teredo —
  is judged by the IPv4 address) unless it lies in
  ``SOCIALS_VIDEO_ALLOWED_NETWORKS``; the connection then goes to the checked address (pinned,
  with the original Host header and TLS server name), so a second DNS answer can't differ;
- redirects are followed by hand (at most 3), each hop checked again;
- the body is capped at ``SOCIALS_VIDEO_MAX_BYTES`` (announced Content-Length and bytes read),
  spooled to a temporary file so a big video does not sit in memory.
"""

from __future__ import annotations

import ipaddress
import socket
import tempfile
from dataclasses import dataclass
from typing import IO, cast
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from myloware.lib.errors import InvalidInput
from socials.upload_post import tls_context

MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_SPOOL_IN_MEMORY = 8 * 1024 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class VideoRefused(InvalidInput):
    """The video URL or what it leads to is not allowed (permanent: retrying won't help)."""

    code = "video_url_refused"


class VideoFetchFailed(Exception):
    """A transient problem fetching an allowed video (timeout, 5xx): worth retrying."""


@dataclass
class FetchedVideo:
    file: IO[bytes]
    size: int
    content_type: str
    filename: str

    def close(self) -> None:
        self.file.close()


def video_url_check(url: str, *, check_host: bool = True) -> tuple[str, str, int]:
    """Check scheme and host of ``url`` against the rules; returns (scheme, host, port).

    ``check_host=False`` (the fake publisher, which fetches nothing) checks the form only.
    """
    if not isinstance(url, str) or not url.strip():
        raise VideoRefused("A video URL is required")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise VideoRefused(f"Malformed video URL {url!r}") from None
    if parts.scheme not in ("http", "https"):
        raise VideoRefused(
            f"Video URLs must be http(s); {parts.scheme or 'a local path'!s} is never fetched",
            details={"video_url": ["scheme not allowed"]},
        )
    if parts.username or parts.password:
        raise VideoRefused("Video URLs must not carry credentials", details={"video_url": ["userinfo"]})
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise VideoRefused("The video URL has no host", details={"video_url": ["no host"]})
    if check_host and not host_allowed(host):
        raise VideoRefused(
            f"Host {host!r} is not in SOCIALS_VIDEO_ALLOWED_HOSTS",
            details={"video_url": ["host not allowed"], "host": host},
        )
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def host_allowed(host: str) -> bool:
    for pattern in settings.SOCIALS_VIDEO_ALLOWED_HOSTS:
        pattern = pattern.strip().lower().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern.strip("[]"):
            return True
    return False


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.SOCIALS_VIDEO_ALLOWED_NETWORKS]


# IPv6 prefixes whose last 32 bits are an IPv4 address the packet really goes to.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated "::a.b.c.d"
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# All global unicast lives here (RFC 4291); anything outside (site-local fec0::/10, ULA, NAT64
# local-use 64:ff9b:1::/48, reserved ::/8 ...) is refused.
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# Non-global blocks that this Python's is_global does not know (yet).
_NOT_GLOBAL_V4 = (ipaddress.IPv4Network("192.0.0.0/24"),)  # IETF protocol assignments
_NOT_GLOBAL_V6 = (ipaddress.IPv6Network("3fff::/20"),)  # documentation (RFC 9637)


def _public_ipv4(address: ipaddress.IPv4Address) -> bool:
    return (
        address.is_global
        and not address.is_multicast
        and not any(address in network for network in _NOT_GLOBAL_V4)
    )


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo).

    Such an address reaches the embedded IPv4 host (through a translator, a tunnel or the
    dual stack of the host itself), so it is judged by that host.
    """
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # (server, client): both must be acceptable
    if address in _NAT64_WELL_KNOWN or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def address_allowed(address: IPAddress) -> bool:
    """Public unicast addresses, or addresses inside an explicitly configured network.

    An IPv6 address that embeds an IPv4 address is allowed only when every embedded address is.
    """
    networks = _allowed_networks()
    if any(address in network for network in networks):
        return True
    if isinstance(address, ipaddress.IPv4Address):
        return _public_ipv4(address)
    embedded = embedded_ipv4(address)
    if embedded:
        return all(any(v4 in network for network in networks) or _public_ipv4(v4) for v4 in embedded)
    return (
        address in _GLOBAL_UNICAST
        and address.is_global
        and not address.is_site_local
        and not any(address in network for network in _NOT_GLOBAL_V6)
    )


def resolve_checked(host: str, port: int) -> list[IPAddress]:
    """Resolve ``host``; refuse when any resolved address is not allowed (no partial trust)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise VideoFetchFailed(f"Could not resolve {host}") from None
        # Host names resolve to AF_INET/AF_INET6 sockaddrs, whose host is a str.
        hosts = (cast(str, info[4][0]) for info in infos)
        addresses = list(dict.fromkeys(ipaddress.ip_address(host.split("%")[0]) for host in hosts))
    if not addresses:
        raise VideoFetchFailed(f"{host} resolved to no address")
    refused = [str(address) for address in addresses if not address_allowed(address)]
    if refused:
        raise VideoRefused(
            f"Host {host!r} resolves to a private, loopback or reserved address",
            details={"video_url": ["address not allowed"], "addresses": refused},
        )
    return addresses


def video_fetch(url: str, *, transport: httpx.BaseTransport | None = None) -> FetchedVideo:
    """Download ``url`` under the rules above. Raises VideoRefused or VideoFetchFailed."""
    timeout = httpx.Timeout(settings.SOCIALS_VIDEO_FETCH_TIMEOUT)
    with httpx.Client(
        timeout=timeout, transport=transport, follow_redirects=False, trust_env=False, verify=tls_context()
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            scheme, host, port = video_url_check(url)
            address = resolve_checked(host, port)[0]
            request = _pinned_request(client, url, scheme, host, port, address)
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise VideoFetchFailed(f"Timed out fetching the video from {host}") from None
            except httpx.TransportError as exc:
                raise VideoFetchFailed(
                    f"Could not fetch the video from {host}: {type(exc).__name__}"
                ) from None
            try:
                if response.is_redirect:
                    url = str(httpx.URL(url).join(response.headers.get("location", "")))
                    continue
                return _read_capped(response, url)
            finally:
                response.close()
    raise VideoRefused(f"Too many redirects (more than {MAX_REDIRECTS}) fetching the video")


def _pinned_request(
    client: httpx.Client, url: str, scheme: str, host: str, port: int, address: IPAddress
) -> httpx.Request:
    default_port = 443 if scheme == "https" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    pinned = httpx.URL(url).copy_with(host=str(address))
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    return client.build_request("GET", pinned, headers={"Host": host_header}, extensions=extensions)


def _read_capped(response: httpx.Response, url: str) -> FetchedVideo:
    limit = settings.SOCIALS_VIDEO_MAX_BYTES
    if response.status_code >= 500 or response.status_code == 429:
        raise VideoFetchFailed(f"The video host answered {response.status_code}")
    if response.status_code != 200:
        raise VideoRefused(
            f"The video host answered {response.status_code}", details={"status": response.status_code}
        )
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise VideoRefused(
            f"The video is {int(announced):,} bytes; the limit is {limit:,} (SOCIALS_VIDEO_MAX_BYTES)",
            details={"size": int(announced), "limit": limit},
        )
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - returned open
    size = 0
    try:
        for chunk in response.iter_bytes(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise VideoRefused(
                    f"The video is larger than the limit of {limit:,} bytes (SOCIALS_VIDEO_MAX_BYTES)",
                    details={"limit": limit},
                )
            spool.write(chunk)
    except httpx.HTTPError as exc:
        spool.close()
        raise VideoFetchFailed(f"Reading the video failed: {type(exc).__name__}") from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "video.mp4"
    content_type = response.headers.get("content-type", "video/mp4").split(";")[0].strip()
    return FetchedVideo(file=spool, size=size, content_type=content_type or "video/mp4", filename=name)
