"""HTTPS from the environment: `check --deploy` is clean with the documented production
environment, DEBUG=0 defaults to the safe values, each setting has its variable, and gunicorn
answers accordingly (redirect, HSTS, secure cookies, CSP on pages, no-store on the API)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from myloware.api.models import ALL_SCOPES
from myloware.api.services import api_key_create

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION_ENV = BASE_DIR / "deploy" / "myloware.env"
HTTPS_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
)


def documented_environment() -> dict[str, str]:
    """deploy/myloware.env with every CHANGE_ME replaced by a fresh secret."""
    env = {}
    for line in PRODUCTION_ENV.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            env[name.strip()] = value.strip().replace("CHANGE_ME", secrets.token_urlsafe(48))
    return env


def clean_environment(**env: str) -> dict[str, str]:
    """This process's environment without any of the settings under test, plus ``env``."""
    kept = {k: v for k, v in os.environ.items() if k not in HTTPS_SETTINGS and k != "DJANGO_SETTINGS_MODULE"}
    return {**kept, "MYLOWARE_LOAD_DEV_ENV": "0", **env}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=BASE_DIR,
    )


def https_settings(**env: str) -> dict[str, object]:
    code = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'myloware.settings_nodb'\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name) for name in {list(HTTPS_SETTINGS)!r}}}))"
    )
    result = run_python(code, clean_environment(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_with_the_documented_production_environment_warns_about_nothing() -> None:
    env = clean_environment(**documented_environment())
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--settings=myloware.settings_nodb"],
        capture_output=True, text=True, env=env, timeout=120, check=False, cwd=BASE_DIR,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "security.W" not in output, output
    assert "System check identified no issues" in output, output


def test_with_debug_off_the_defaults_are_the_safe_ones() -> None:
    assert https_settings(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(48)) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    # Development (DEBUG on) stays plain HTTP.
    assert https_settings(DEBUG="1")["SECURE_SSL_REDIRECT"] is False


def test_each_setting_comes_from_the_variable_of_its_name() -> None:
    chosen = {
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "600",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto,https",
    }
    assert https_settings(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(48), **chosen) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


@pytest.mark.parametrize("value", ["X-Forwarded-Proto", "https", ",https", "X-Forwarded-Proto,https,http"])
def test_a_malformed_proxy_header_is_one_line_naming_the_variable(value: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        capture_output=True, text=True, env=clean_environment(SECURE_PROXY_SSL_HEADER=value), timeout=120,
        check=False, cwd=BASE_DIR,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr


@pytest.fixture
def https_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn as behind a TLS-terminating proxy (set before it starts)."""
    for name, value in {
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "3600",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto,https",
        "SESSION_COOKIE_SECURE": "1",
        "CSRF_COOKIE_SECURE": "1",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.mark.http
@pytest.mark.django_db(transaction=True)
def test_gunicorn_answers_as_an_https_site(https_env: None, gunicorn_url: str) -> None:
    key = api_key_create(name="https-tester", scopes=ALL_SCOPES)[1]
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=gunicorn_url, timeout=30) as client:
        plain = client.get("/admin/login/")
        assert plain.status_code == 301
        assert plain.headers["location"] == f"https://{gunicorn_url.removeprefix('http://')}/admin/login/"
        # Probes reach gunicorn directly over HTTP.
        assert client.get("/healthz").status_code in (200, 503)
        login = client.get("/admin/login/", headers=https)
        assert login.status_code == 200
        assert login.headers["strict-transport-security"] == "max-age=3600"
        assert "script-src 'self'" in login.headers["content-security-policy"]
        assert "secure" in login.headers["set-cookie"].lower()  # the CSRF cookie
        me = client.get("/api/v1/me", headers={**https, "X-API-Key": key})
        assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
        refused = client.get("/api/v1/runs", headers={**https, "X-API-Key": "mlw_wrong"})
        assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
        docs = client.get("/api/docs/", headers=https)
        assert docs.status_code == 200 and "<style>" not in docs.text and "<script>" not in docs.text
