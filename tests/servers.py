"""Our own servers for tests over real HTTP: gunicorn as `make run` and production start it, and
Debian's nginx with the shipped reverse-proxy configuration in front of it.

Django's development server does not understand a chunked request body (it leaves it on a
kept-alive connection and answers the chunk bytes as a request of their own); the judge of what
goes over the wire is gunicorn serving ``myloware.wsgi:application`` with our configuration, on
the test database, in its own process. Its settings come from the environment it is started
with (``monkeypatch.setenv`` before the fixture, or ``env``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

from tests.workers.harness import free_port, wait_for


def current_database_url() -> str:
    """The URL of the test database this process uses (a Unix socket of the embedded server)."""
    params = connection.get_connection_params()
    url = f"postgresql://{quote(params['user'])}@/{quote(params['dbname'])}?host={quote(params['host'])}"
    if params.get("port"):
        url += f"&port={params['port']}"
    return url


def _answers(url: str) -> bool:
    """Any HTTP answer: the server is up (behind HTTPS settings it may be a redirect)."""
    try:
        return httpx.get(url, timeout=5).status_code < 500
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def gunicorn(
    folder: Path, *, env: Mapping[str, str] | None = None, workers: int = 2, bind: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve the test database with gunicorn until the block ends; yields its base URL."""
    port = free_port()
    log = folder / f"gunicorn-{port}.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myloware.settings_test",
        "DATABASE_URL": current_database_url(),
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "gunicorn", "myloware.wsgi:application",
        "--config", "python:myloware.gunicorn_conf",
        "--bind", f"{bind}:{port}", "--workers", str(workers), "--graceful-timeout", "5",
    ]  # fmt: skip
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://{bind}:{port}"
    try:
        wait_for(
            lambda: server.poll() is not None or _answers(f"{base}/api/schema/"), seconds=60, what="gunicorn"
        )
        assert server.poll() is None, log.read_text()[-5_000:]
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- nginx ----------------------------------------------------------------------------------------
# A path of its own (not settings.BASE_DIR): bench/ uses this module without Django settings.
DEPLOY_NGINX = Path(__file__).resolve().parent.parent / "deploy" / "nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Site:
    """The base URLs of the shipped site's three servers."""

    public: str
    internal: str
    plain: str


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    assert old in text, f"deploy/nginx/myloware.conf no longer has {old!r}: update tests/servers.py"
    return text.replace(old, new, count)


def site_config(upstream: str, ports: Mapping[str, int], certificate: Path, key: Path, allow: str) -> str:
    """deploy/nginx/myloware.conf with these ports, upstream, certificate and private network."""
    text = (DEPLOY_NGINX / "myloware.conf").read_text()
    text = _replace(text, "server 127.0.0.1:8000;", f"server {upstream};")
    for line in ("    listen [::]:80;\n", "    listen [::]:443 ssl;\n"):
        text = _replace(text, line, "")
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{ports['plain']};")
    text = _replace(text, "listen 443 ssl;", f"listen 127.0.0.1:{ports['public']} ssl;", 1)
    text = _replace(text, "listen 443 ssl;", f"listen 127.0.0.1:{ports['internal']} ssl;", 1)
    text = _replace(text, "allow 10.0.0.0/8;", f"allow {allow};")
    for name in ("hooks.example.com", "ops.example.com"):
        text = _replace(text, f"/etc/ssl/certs/{name}.pem", str(certificate))
        text = _replace(text, f"/etc/ssl/private/{name}.key", str(key))
    return _replace(
        text, "/etc/nginx/snippets/myloware-proxy.conf", str(DEPLOY_NGINX / "myloware-proxy.conf")
    )


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (clients verify against the certificate itself)."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(certificate), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


@contextlib.contextmanager
def nginx(upstream: str, folder: Path, *, allow: str = "10.0.0.0/8") -> Iterator[Site]:
    """Serve deploy/nginx/myloware.conf in front of ``upstream`` (host:port) until the block ends,
    TLS with a certificate made in ``folder`` (``folder/cert.pem``); ``allow`` is the private
    network the internal side admits besides the host."""
    if not Path(NGINX).exists():
        raise AssertionError("nginx is needed here: apt-get install nginx (.ci/run installs it)")
    prefix = folder / "nginx"
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (prefix / name).mkdir(parents=True)
    ports = {"plain": free_port(), "public": free_port(), "internal": free_port()}
    certificate, key = self_signed(folder)
    site = prefix / "myloware.conf"
    site.write_text(site_config(upstream, ports, certificate, key, allow))
    main = prefix / "nginx.conf"
    main.write_text(_main_config(prefix, site))
    command = [NGINX, "-p", str(prefix), "-c", str(main), "-g", "daemon off;"]
    checked = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # noqa: S603
    internal = f"https://127.0.0.1:{ports['internal']}"
    try:
        wait_for(lambda: server.poll() is not None or _listens(internal), seconds=30, what="nginx")
        assert server.poll() is None, (prefix / "logs" / "error.log").read_text()
        yield Site(f"https://127.0.0.1:{ports['public']}", internal, f"http://127.0.0.1:{ports['plain']}")
    finally:
        server.terminate()  # fast shutdown: requests the login limit holds back are not waited for
        server.wait(timeout=20)


def _main_config(prefix: Path, site: Path) -> str:
    """nginx.conf around ``site``, everything in ``prefix``."""
    # The workers run as our own user (nginx would drop root for nobody, who can't read our
    # folders); everything else of nginx.conf is Debian's defaults.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log warn;\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        f"  access_log {prefix}/logs/access.log;\n"
        f"  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;\n"
        f"  fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;\n"
        f"  include {site};\n"
        "}\n"
    )


def _listens(base: str) -> bool:
    try:
        httpx.get(f"{base}/healthz", verify=False, timeout=2)  # noqa: S501 - our own certificate
    except httpx.TransportError:
        return False
    return True
