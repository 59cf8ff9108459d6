"""The SSRF guard, table-driven: every non-global range is refused, and an IPv6 address that
embeds an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is judged by that IPv4 address."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from socials.fetch import VideoRefused, address_allowed, embedded_ipv4, video_fetch

REFUSED = [
    # IPv4: loopback, private, link-local (cloud metadata), shared, this-network, reserved,
    # documentation, benchmarking, multicast, broadcast
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local metadata"),
    ("100.64.0.1", "shared (CGNAT)"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "this network"),
    ("192.0.0.8", "IETF protocol assignments"),
    ("192.0.2.1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.5", "documentation"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    # IPv6 without an embedded IPv4
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local (deprecated, still routed on some networks)"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "global-scope multicast"),
    ("100::1", "discard-only"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation (RFC 9637)"),
    ("5f00::1", "reserved, outside global unicast"),
    ("64:ff9b:1::1", "NAT64 local use"),
    ("2001:2::1", "benchmarking"),
    # IPv6 forms that embed a private/loopback/metadata IPv4 address
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::7f00:1", "IPv4-compatible loopback"),
    ("::a00:1", "IPv4-compatible private"),
    ("2002:7f00:1::", "6to4 of loopback"),
    ("2002:a9fe:a9fe::1", "6to4 of the metadata address"),
    ("64:ff9b::7f00:1", "NAT64 of loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 of the metadata address"),
    ("64:ff9b::c0a8:101", "NAT64 of a private address"),
    # Teredo: server 65.54.227.120, client 192.0.2.45 (obfuscated) / client 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo with a documentation client"),
    ("2001:0:4136:e378:8000:ffff:80ff:fffe", "Teredo with a loopback client"),
]

ALLOWED = [
    ("93.184.216.34", "public IPv4"),
    ("8.8.8.8", "public IPv4"),
    ("2606:4700:4700::1111", "public IPv6"),
    ("2001:4860:4860::8888", "public IPv6"),
    ("::ffff:8.8.8.8", "IPv4-mapped public"),
    ("64:ff9b::808:808", "NAT64 of a public address"),
    ("2002:808:808::1", "6to4 of a public address"),
    ("2001:0:4136:e378:8000:ffff:f7f7:f7f7", "Teredo: public server and public client 8.8.8.8"),
]


@pytest.fixture(autouse=True)
def no_exceptions(settings: Any) -> None:
    settings.SOCIALS_VIDEO_ALLOWED_NETWORKS = []


@pytest.mark.parametrize(("address", "why"), REFUSED)
def test_non_global_addresses_are_refused(address: str, why: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address)), why


@pytest.mark.parametrize(("address", "why"), ALLOWED)
def test_global_addresses_are_allowed(address: str, why: str) -> None:
    assert address_allowed(ipaddress.ip_address(address)), why


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:127.0.0.1", ["127.0.0.1"]),
        ("::7f00:1", ["127.0.0.1"]),
        ("2002:7f00:1::", ["127.0.0.1"]),
        ("64:ff9b::a9fe:a9fe", ["169.254.169.254"]),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", ["65.54.227.120", "192.0.2.45"]),
        ("::1", []),
        ("::", []),
        ("2606:4700:4700::1111", []),
    ],
)
def test_embedded_ipv4_addresses_are_found(address: str, embedded: list[str]) -> None:
    assert [str(v4) for v4 in embedded_ipv4(ipaddress.IPv6Address(address))] == embedded


def test_an_allowed_network_also_admits_the_ipv6_forms_of_its_addresses(settings: Any) -> None:
    settings.SOCIALS_VIDEO_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    for address in ("127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::"):
        assert address_allowed(ipaddress.ip_address(address)), address
    assert not address_allowed(ipaddress.ip_address("::ffff:10.0.0.1"))


@pytest.mark.parametrize(
    "address", ["::7f00:1", "2002:7f00:1::", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "fec0::1"]
)
def test_fetch_refuses_hosts_that_resolve_to_these_forms(
    address: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SOCIALS_VIDEO_ALLOWED_HOSTS = ["cdn.example.com"]

    def fake_dns(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with pytest.raises(VideoRefused) as exc:
        video_fetch("https://cdn.example.com/final.mp4")
    assert exc.value.details["addresses"] == [address]
    # and as a literal in the URL
    settings.SOCIALS_VIDEO_ALLOWED_HOSTS = [address]
    with pytest.raises(VideoRefused, match="private, loopback or reserved"):
        video_fetch(f"https://[{address}]/final.mp4")
