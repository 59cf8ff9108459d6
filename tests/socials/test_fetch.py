"""SSRF guard of the video fetch: schemes, hosts, every resolved address, redirects, size cap."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from runs.models import Run
from socials.fetch import VideoFetchFailed, VideoRefused, video_fetch, video_url_check
from socials.models import Publication
from tests.socials.conftest import VIDEO_BYTES

pytestmark = pytest.mark.django_db


def test_an_allowed_video_is_fetched_from_the_checked_address_with_its_host_header(
    fake_server: Any, settings: Any
) -> None:
    settings.SOCIALS_VIDEO_ALLOWED_HOSTS = ["localhost"]
    url = fake_server.video_url().replace("127.0.0.1", "localhost")
    video = video_fetch(url)
    try:
        assert video.file.read() == VIDEO_BYTES and video.size == len(VIDEO_BYTES)
    finally:
        video.close()
    assert fake_server.requests[-1].headers["Host"] == f"localhost:{fake_server.port}"


@pytest.mark.parametrize(
    "url",
    [
        "/etc/passwd",
        "file:///etc/passwd",
        "ftp://127.0.0.1/video.mp4",
        "gopher://127.0.0.1:6379/_INFO",
        "http://user:pass@127.0.0.1/v.mp4",
        "https://evil.example.org/v.mp4",
        "http:///v.mp4",
    ],
)
def test_local_paths_other_schemes_credentials_and_unlisted_hosts_are_refused(url: str) -> None:
    with pytest.raises(VideoRefused):
        video_url_check(url)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.5",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "[::1]",
        "[fe80::1]",
        "[::ffff:127.0.0.1]",
        "[fd00::1]",
    ],
)
def test_loopback_private_and_link_local_addresses_are_refused_unless_configured(
    host: str, settings: Any
) -> None:
    settings.SOCIALS_VIDEO_ALLOWED_NETWORKS = []
    settings.SOCIALS_VIDEO_ALLOWED_HOSTS = [host.strip("[]")]
    with pytest.raises(VideoRefused, match="private, loopback or reserved"):
        video_fetch(f"http://{host}:9/video.mp4")


def test_every_resolved_address_must_be_public(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.SOCIALS_VIDEO_ALLOWED_NETWORKS = []

    def fake_dns(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "cdn.example.com"
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.1.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with pytest.raises(VideoRefused) as exc:
        video_fetch("https://cdn.example.com/final.mp4")
    assert exc.value.details["addresses"] == ["192.168.1.5"]


def test_a_redirect_to_a_disallowed_host_or_address_is_refused(fake_server: Any, settings: Any) -> None:
    fake_server.redirects["/videos/hop"] = "https://evil.example.org/v.mp4"
    with pytest.raises(VideoRefused, match="evil.example.org"):
        video_fetch(f"{fake_server.url}/videos/hop")
    fake_server.redirects["/videos/meta"] = "http://169.254.169.254/latest/meta-data/"
    settings.SOCIALS_VIDEO_ALLOWED_HOSTS = ["127.0.0.1", "169.254.169.254"]
    with pytest.raises(VideoRefused, match="private, loopback or reserved"):
        video_fetch(f"{fake_server.url}/videos/meta")


def test_an_allowed_redirect_is_followed(fake_server: Any) -> None:
    target = fake_server.video_url("real.mp4")
    fake_server.redirects["/videos/short"] = target
    video = video_fetch(f"{fake_server.url}/videos/short")
    assert video.file.read() == VIDEO_BYTES
    video.close()


def test_an_oversized_body_is_refused_by_announced_length(fake_server: Any, settings: Any) -> None:
    settings.SOCIALS_VIDEO_MAX_BYTES = 1000
    url = fake_server.video_url("big.mp4", body=b"x" * 10, **{"Content-Length": "5000000"})
    with pytest.raises(VideoRefused, match="limit is 1,000"):
        video_fetch(url)


def test_an_oversized_body_without_a_length_is_cut_off(fake_server: Any, settings: Any) -> None:
    settings.SOCIALS_VIDEO_MAX_BYTES = 1000
    url = fake_server.video_url("stream.mp4", body=b"x" * 5000, **{"X-No-Length": "1"})
    with pytest.raises(VideoRefused, match="larger than the limit"):
        video_fetch(url)


def test_publish_of_a_local_path_or_unlisted_host_is_refused_before_anything_is_stored(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    for url in ("/var/lib/secret.mp4", "file:///etc/passwd", "https://evil.example.org/v.mp4"):
        with pytest.raises(VideoRefused):
            publish(run.run_id, video_url=url)
    assert not Publication.objects.exists() and not upload_post.uploads()


def test_a_render_on_a_loopback_address_fails_the_publication_without_calling_the_provider(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.SOCIALS_VIDEO_ALLOWED_NETWORKS = []  # 127.0.0.1 is listed as a host, not as a network
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    publication, _ = publish(run.run_id)
    assert publication.status == "failed" and "loopback" in publication.error
    assert not upload_post.uploads() and not [r for r in upload_post.requests if r.method == "GET"]
    assert Run.objects.get(pk=run.run_id).status == "failed"


def test_an_oversized_render_fails_the_publication(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.SOCIALS_VIDEO_MAX_BYTES = 100
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    publication, _ = publish(run.run_id)
    assert publication.status == "failed" and "SOCIALS_VIDEO_MAX_BYTES" in publication.error
    assert not upload_post.uploads()


@pytest.fixture
def tls_video_host(fake_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An HTTPS video host on 127.0.0.1 with a certificate for ``localhost`` (test fixture)."""
    import ssl
    import threading
    from http.server import ThreadingHTTPServer
    from pathlib import Path

    from socials import fetch
    from tests.socials.conftest import _handler

    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "socials"
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(fixtures / "localhost-cert.pem", fixtures / "localhost-key.pem")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake_server))
    httpd.socket = server_ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    client_ctx = ssl.create_default_context(cafile=str(fixtures / "localhost-cert.pem"))
    monkeypatch.setattr(fetch, "tls_context", lambda: client_ctx)
    fake_server.video_url("tls.mp4")
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_https_fetch_pinned_to_the_checked_address_still_verifies_the_certificate(
    tls_video_host: int, settings: Any
) -> None:
    settings.SOCIALS_VIDEO_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    video = video_fetch(f"https://localhost:{tls_video_host}/videos/tls.mp4")
    assert video.file.read() == VIDEO_BYTES
    video.close()
    # The certificate names localhost, not 127.0.0.1: verification is on, so this fails.
    with pytest.raises(VideoFetchFailed):
        video_fetch(f"https://127.0.0.1:{tls_video_host}/videos/tls.mp4")
