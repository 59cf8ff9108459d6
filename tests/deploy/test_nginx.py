"""The shipped reverse-proxy configuration (deploy/nginx/) in a real nginx in front of gunicorn.

The fixture starts Debian's nginx (installed by `.ci/run`) on free ports with deploy/nginx/
myloware.conf, changed only where a test must (tests/servers.py): its ports, the upstream's
address, and a certificate made here (self-signed, for 127.0.0.1). nginx terminates TLS as in production, so
"the scheme Django sees" is the real chain: TLS at nginx, X-Forwarded-Proto set by
myloware-proxy.conf, SECURE_PROXY_SSL_HEADER in the app.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from myloware.api.models import ALL_SCOPES
from myloware.api.services import api_key_create
from tests.servers import Site, gunicorn, nginx
from tests.webhooks.conftest import STANDARD_SECRET, fixture_bytes, sign_standard
from webhooks.models import WebhookEvent

pytestmark = [pytest.mark.http, pytest.mark.django_db(transaction=True)]

GUNICORN_ENV = {
    # As deploy/myloware.env has them (DEBUG stays on in the test settings: set one by one).
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto,https",
    "TRUSTED_PROXY_COUNT": "1",
    "WEBHOOK_STANDARD_PROVIDERS": "acme",
    "WEBHOOK_SECRET_ACME": STANDARD_SECRET,
}


@pytest.fixture
def nginx_site(tmp_path: Path) -> Iterator[Site]:
    with (
        gunicorn(tmp_path, env=GUNICORN_ENV) as upstream,
        nginx(upstream.removeprefix("http://"), tmp_path) as site,
    ):
        yield site


def client(base: str, address: str = "127.0.0.1", timeout: float = 30) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address, verify=False)  # noqa: S501 - self-signed here
    return httpx.Client(base_url=base, timeout=timeout, transport=transport)


def test_a_signed_webhook_through_the_public_side_is_accepted(nginx_site: Site) -> None:
    body = fixture_bytes("standard_event")
    headers = {**sign_standard(body, msg_id="through-nginx"), "content-type": "application/json"}
    with client(nginx_site.public, "127.0.0.2") as public:
        # A client-sent X-Forwarded-For is replaced by the address nginx saw.
        answer = public.post(
            "/api/v1/webhooks/acme", content=body, headers={**headers, "X-Forwarded-For": "6.6.6.6"}
        )
    assert answer.status_code == 200 and answer.json()["status"] == "accepted", answer.text
    assert answer.headers["strict-transport-security"] == "max-age=31536000"  # Django saw https
    event = WebhookEvent.objects.get(pk=answer.json()["event_id"])
    assert bytes(event.payload) == body and event.client_address == "127.0.0.2"


# What the public side must not serve: everything but POST /api/v1/webhooks/<provider>.
NOT_PUBLIC = [
    ("GET", "/admin/login/"),
    ("POST", "/admin/login/"),
    ("GET", "/admin/"),
    ("GET", "/api/v1/runs"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/webhooks/events"),
    ("GET", "/api/v1/webhooks/dlq"),
    ("POST", "/api/v1/webhooks/dlq"),
    ("POST", "/api/v1/webhooks/events"),
    ("POST", "/api/v1/webhooks/dlq/7d3f0c8e-8d2b-4b8e-9a43-1f1f4c2f7a10/replay"),
    ("GET", "/api/docs/"),
    ("GET", "/api/schema/"),
    ("GET", "/healthz"),
    ("GET", "/static/console/console.css"),
    ("GET", "/"),
    ("POST", "/api/v1/webhooks/acme/../../runs"),
]


def test_the_public_side_exposes_nothing_but_the_intake(nginx_site: Site) -> None:
    with client(nginx_site.public) as public:
        for method, path in NOT_PUBLIC:
            answer = public.request(method, path, headers={"X-API-Key": "mlw_anything"})
            assert answer.status_code == 404, (method, path, answer.status_code, answer.text[:200])
            assert "csrftoken" not in answer.headers.get("set-cookie", ""), path
        assert public.get("/api/v1/webhooks/acme").status_code == 403  # the intake takes POSTs only
    assert not WebhookEvent.objects.exists()


def test_the_internal_side_serves_the_console_api_docs_and_health_over_https(nginx_site: Site) -> None:
    key = api_key_create(name="deploy-check", scopes=ALL_SCOPES)[1]
    with client(nginx_site.internal) as internal:
        login = internal.get("/admin/login/")
        assert login.status_code == 200  # no redirect loop: Django sees https
        assert login.headers["strict-transport-security"] == "max-age=31536000"
        assert "secure" in login.headers["set-cookie"].lower()
        me = internal.get("/api/v1/me", headers={"X-API-Key": key})
        assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
        assert internal.get("/api/docs/").status_code == 200
        assert internal.get("/healthz").status_code in (200, 503)
        assert json.loads(internal.get("/healthz").text)  # the app's answer, not nginx's
    # Only the private network (and the host) may use it.
    with client(nginx_site.internal, "127.0.0.2") as outsider:
        assert outsider.get("/admin/login/").status_code == 403


def test_plain_http_is_redirected_to_https(nginx_site: Site) -> None:
    answer = httpx.get(f"{nginx_site.plain}/admin/login/", timeout=10)
    assert answer.status_code == 301 and answer.headers["location"] == "https://127.0.0.1/admin/login/"


def test_the_login_page_paces_a_guessing_loop_and_refuses_a_flood(nginx_site: Site, tmp_path: Path) -> None:
    """10 requests a minute per address: of a burst, 5 pass at once (a person's login and a few
    typos), the next 6 wait their turn at nginx, the rest are refused with 429 — none of them costs
    gunicorn anything until its turn."""

    def status(internal: httpx.Client) -> int | str:
        try:
            return internal.get("/admin/login/").status_code
        except httpx.ReadTimeout:
            return "held"

    with client(nginx_site.internal, timeout=3) as internal, ThreadPoolExecutor(24) as pool:
        outcomes = list(pool.map(lambda _: status(internal), range(24)))
    assert set(outcomes) <= {200, 429, "held"}, outcomes
    assert outcomes.count(429) >= 5 and 1 <= outcomes.count(200) <= 11, outcomes
    log = (tmp_path / "nginx" / "logs" / "error.log").read_text()
    assert "delaying request" in log and "limiting requests" in log
