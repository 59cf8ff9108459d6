"""The shipped reverse-proxy configuration (deploy/nginx/) in a real nginx in front of gunicorn.

The fixture starts Debian's nginx (installed by `.ci/run`) on free ports with deploy/nginx/
myloware.conf, changed only where a test must: its ports, the upstream's address, and a
certificate made here (self-signed, for 127.0.0.1). nginx terminates TLS as in production, so
"the scheme Django sees" is the real chain: TLS at nginx, X-Forwarded-Proto set by
myloware-proxy.conf, SECURE_PROXY_SSL_HEADER in the app.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from myloware.api.models import ALL_SCOPES
from myloware.api.services import api_key_create
from tests.servers import gunicorn
from tests.webhooks.conftest import STANDARD_SECRET, fixture_bytes, sign_standard
from tests.workers.harness import free_port, wait_for
from webhooks.models import WebhookEvent

pytestmark = [pytest.mark.http, pytest.mark.django_db(transaction=True)]

DEPLOY = Path(settings.BASE_DIR) / "deploy" / "nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
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


@dataclass
class Site:
    public: str
    internal: str
    plain: str


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    assert old in text, f"deploy/nginx/myloware.conf no longer has {old!r}: update this fixture"
    return text.replace(old, new, count)


def site_config(upstream: str, ports: dict[str, int], certificate: Path, key: Path) -> str:
    """deploy/nginx/myloware.conf with the test's ports, upstream and certificate."""
    text = (DEPLOY / "myloware.conf").read_text()
    text = _replace(text, "server 127.0.0.1:8000;", f"server {upstream};")
    for line in ("    listen [::]:80;\n", "    listen [::]:443 ssl;\n"):
        text = _replace(text, line, "")
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{ports['plain']};")
    text = _replace(text, "listen 443 ssl;", f"listen 127.0.0.1:{ports['public']} ssl;", 1)
    text = _replace(text, "listen 443 ssl;", f"listen 127.0.0.1:{ports['internal']} ssl;", 1)
    for name in ("hooks.example.com", "ops.example.com"):
        text = _replace(text, f"/etc/ssl/certs/{name}.pem", str(certificate))
        text = _replace(text, f"/etc/ssl/private/{name}.key", str(key))
    return _replace(text, "/etc/nginx/snippets/myloware-proxy.conf", str(DEPLOY / "myloware-proxy.conf"))


def self_signed(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(certificate), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


@pytest.fixture
def nginx_site(tmp_path: Path) -> Iterator[Site]:
    if not Path(NGINX).exists():
        pytest.fail("The deployment tests need nginx: apt-get install nginx (.ci/run installs it)")
    with gunicorn(tmp_path, env=GUNICORN_ENV) as upstream:
        prefix = tmp_path / "nginx"
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (prefix / folder).mkdir(parents=True)
        ports = {"plain": free_port(), "public": free_port(), "internal": free_port()}
        certificate, key = self_signed(prefix)
        site = prefix / "myloware.conf"
        site.write_text(site_config(upstream.removeprefix("http://"), ports, certificate, key))
        # The workers run as the test's own user (nginx would drop root for nobody, who can't read
        # pytest's folders); everything else of nginx.conf is Debian's defaults.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        main = prefix / "nginx.conf"
        main.write_text(
            f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\n"
            "events { worker_connections 128; }\n"
            "http {\n"
            f"  access_log {prefix}/logs/access.log;\n"
            f"  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;\n"
            f"  fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;\n"
            f"  include {site};\n"
            "}\n"
        )
        command = [NGINX, "-p", str(prefix), "-c", str(main), "-g", "daemon off;"]
        checked = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            base = f"https://127.0.0.1:{ports['internal']}"
            wait_for(lambda: server.poll() is not None or _answers(base), seconds=30, what="nginx")
            assert server.poll() is None, (prefix / "logs" / "error.log").read_text()
            yield Site(f"https://127.0.0.1:{ports['public']}", base, f"http://127.0.0.1:{ports['plain']}")
        finally:
            server.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _answers(base: str) -> bool:
    try:
        httpx.get(f"{base}/healthz", verify=False, timeout=2)  # noqa: S501 - the test's own certificate
    except httpx.TransportError:
        return False
    return True


def client(base: str, address: str = "127.0.0.1") -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address, verify=False)  # noqa: S501 - self-signed here
    return httpx.Client(base_url=base, timeout=30, transport=transport)


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
        # A guessing loop at the login page is cut short by nginx itself (10 a minute, bursts of 5).
        statuses = [internal.get("/admin/login/").status_code for _ in range(10)]
        assert statuses.count(200) <= 6 and statuses[-1] == 429, statuses
    # Only the private network (and the host) may use it.
    with client(nginx_site.internal, "127.0.0.2") as outsider:
        assert outsider.get("/admin/login/").status_code == 403


def test_plain_http_is_redirected_to_https(nginx_site: Site) -> None:
    answer = httpx.get(f"{nginx_site.plain}/admin/login/", timeout=10)
    assert answer.status_code == 301 and answer.headers["location"] == "https://127.0.0.1/admin/login/"
