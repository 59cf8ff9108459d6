"""The console's login resists guessing (django-axes) and takes an optional second factor (TOTP).

Over real HTTP against gunicorn: the last tests of this module."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from myloware.admin_site import LOGIN_GATE_KEY
from myloware.api.operators import OPERATORS_GROUP
from tests.hashers import CountingHasher, SlowHasher
from tests.race import race, raised
from tests.servers import current_database_url

pytestmark = pytest.mark.django_db

PASSWORD = "right-horse-battery-staple"
LOGIN = "/admin/login/"


@pytest.fixture
def counting(settings: Any) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


@pytest.fixture
def staff(counting: type[CountingHasher]) -> User:
    user = User.objects.create_user("operator", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    return user


def log_in(
    client: Client,
    username: str,
    password: str,
    address: str = "198.51.100.20",
    otp_token: str = "",
    **meta: Any,
) -> Any:
    form = {"username": username, "password": password, "otp_token": otp_token}
    return client.post(LOGIN, form, REMOTE_ADDR=address, **meta)


def test_five_failures_lock_the_username_without_running_the_hasher(
    client: Client, staff: User, counting: type[CountingHasher]
) -> None:
    for attempt in range(5):
        answer = log_in(client, "operator", f"guess-{attempt}", address=f"203.0.113.{attempt + 1}")
        assert answer.status_code in (200, 429)
    assert answer.status_code == 429  # the fifth failure locks: django-axes' page says why
    page = answer.content.decode()
    assert "Too many failed logins" in page and "the username <strong>operator</strong>" in page
    assert "15 min" in page and "password is not even checked" in page
    hashed = counting.calls
    assert hashed >= 4
    # From yet another address, even the right password: refused, and never hashed.
    for attempt in range(20):
        locked = log_in(client, "operator", PASSWORD if attempt % 2 else "guess", address="192.0.2.99")
        assert locked.status_code == 429
    assert counting.calls == hashed
    # Later tries get a page without session or template: the same message, at a fraction of the cost.
    later = locked.content.decode()
    assert "Too many failed logins" in later and "15 min" in later and "password is not checked" in later
    assert locked["Retry-After"] == "900" and "csrftoken" not in locked.cookies


def test_five_failures_from_an_address_lock_it_for_every_username(
    client: Client, staff: User, counting: type[CountingHasher]
) -> None:
    for attempt in range(5):
        log_in(client, f"nobody-{attempt}", "guess", address="203.0.113.50")
    hashed = counting.calls
    assert log_in(client, "operator", PASSWORD, address="203.0.113.50").status_code == 429
    assert counting.calls == hashed
    # The operator, from their own address, is not locked (one failure counted for the name at most).
    assert log_in(client, "operator", PASSWORD, address="192.0.2.10").status_code == 302


def test_a_successful_login_forgets_earlier_failures(client: Client, staff: User) -> None:
    for attempt in range(4):
        log_in(client, "operator", f"typo-{attempt}")
    assert log_in(client, "operator", PASSWORD).status_code == 302
    Client().post(LOGIN, {"username": "operator", "password": "typo"}, REMOTE_ADDR="198.51.100.20")
    assert log_in(Client(), "operator", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(client: Client, staff: User, settings: Any) -> None:
    for attempt in range(5):
        log_in(client, "operator", f"guess-{attempt}")
    assert log_in(client, "operator", PASSWORD).status_code == 429
    # The attempts as if their last failure were one cool-off ago (no waiting in tests).
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - timedelta(seconds=settings.LOGIN_COOLOFF_SECONDS + 1)
    )
    assert log_in(client, "operator", PASSWORD).status_code == 302


def test_failures_and_lockouts_are_logged_with_the_address_never_the_password(
    client: Client, staff: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for attempt in range(5):
        log_in(client, "operator", f"secret-guess-{attempt}", address="203.0.113.77")
    text = caplog.text
    assert "login failure" in text and "203.0.113.77" in text and "operator" in text
    assert "Locking out" in text
    assert "secret-guess" not in text


def test_the_admin_lists_attempts_and_an_operator_lifts_a_lock(client: Client, staff: User) -> None:
    for attempt in range(5):
        log_in(client, "operator", f"guess-{attempt}", address="203.0.113.9")
    colleague = User.objects.create_user("colleague", password="colleague-pass-123", is_staff=True)
    colleague.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    desk = Client()
    desk.force_login(colleague)
    url = reverse("admin:axes_accessattempt_changelist")
    listing = desk.get(url).content.decode()
    assert "operator" in listing and "203.0.113.9" in listing
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="operator").values_list("pk", flat=True)]
    confirm = desk.post(url, {"action": "delete_selected", "_selected_action": ids})
    assert confirm.status_code == 200
    desk.post(url, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert not AccessAttempt.objects.filter(username="operator").exists()
    assert log_in(client, "operator", PASSWORD, address="203.0.113.9").status_code == 302


def test_behind_trusted_proxies_the_forwarded_address_is_the_one_locked(
    client: Client, staff: User, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(5):
        log_in(client, f"nobody-{attempt}", "guess", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.61")
    assert AccessAttempt.objects.filter(ip_address="203.0.113.61").count() == 5
    # Another client behind the same proxy is not locked.
    ok = log_in(
        client, "operator", PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.62"
    )
    assert ok.status_code == 302


# --- the login gate ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_login_while_another_is_being_checked_is_answered_at_once(
    staff: User, counting: type[CountingHasher]
) -> None:
    hashed = counting.calls
    with psycopg_connection() as other:  # a login in progress elsewhere in the web tier
        other.execute("SELECT pg_advisory_lock(%s)", [LOGIN_GATE_KEY])
        busy = log_in(Client(), "operator", PASSWORD)
        assert busy.status_code == 429 and busy["Retry-After"] == "1"
        assert "Another login is being checked" in busy.content.decode()
        assert counting.calls == hashed and not AccessAttempt.objects.exists()  # no check, no failure counted
        other.execute("SELECT pg_advisory_unlock(%s)", [LOGIN_GATE_KEY])
    assert log_in(Client(), "operator", PASSWORD).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_racing_logins_never_run_two_password_checks_at_once(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["tests.hashers.SlowHasher"]
    for number in range(8):
        User.objects.create_user(f"op{number}", password=PASSWORD, is_staff=True)
    for _ in range(3):
        SlowHasher.most_at_once = 0
        outcomes = race(
            8, lambda n: log_in(Client(), f"op{n}", PASSWORD, address=f"192.0.2.{n + 1}").status_code
        )
        assert raised(outcomes) == []
        assert set(outcomes) <= {302, 429} and 302 in outcomes
        assert SlowHasher.most_at_once == 1


# --- the second factor -----------------------------------------------------------------------


def psycopg_connection() -> Any:
    import psycopg

    return psycopg.connect(current_database_url(), autocommit=True)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_an_enrolled_operator_logs_in_with_the_authenticator_code(client: Client, staff: User) -> None:
    device = enrolled(staff)
    without = log_in(client, "operator", PASSWORD)
    assert without.status_code == 200 and "current 6-digit code" in without.content.decode()
    answer = log_in(client, "operator", PASSWORD, otp_token=current_code(device))
    assert answer.status_code == 302
    assert client.get("/admin/").status_code == 200
    wrong = "000000" if current_code(device) != "000000" else "111111"
    refused = log_in(Client(), "operator", PASSWORD, otp_token=wrong)
    assert refused.status_code == 200 and "current 6-digit code" in refused.content.decode()


def test_a_session_without_the_second_factor_is_refused_once_enrolled(staff: User) -> None:
    enrolled(staff)
    session = Client()
    session.force_login(staff)  # a session from before the enrolment: no device verified it
    answer = session.get("/admin/")
    assert answer.status_code == 302 and answer["Location"].startswith(LOGIN)


def test_without_a_device_the_password_is_enough_unless_two_factor_is_required(
    client: Client, staff: User, settings: Any
) -> None:
    assert log_in(client, "operator", PASSWORD).status_code == 302
    settings.LOGIN_OTP_REQUIRED = True
    refused = log_in(Client(), "operator", PASSWORD)
    assert refused.status_code == 200 and "ask an operator to enrol you" in refused.content.decode()
    assert client.get("/admin/").status_code == 302  # the login made before is not verified either


def test_an_operator_enrols_a_user_from_the_shell_and_two_factor_becomes_mandatory(
    client: Client, staff: User, settings: Any
) -> None:
    settings.LOGIN_OTP_REQUIRED = True
    out = io.StringIO()
    call_command("enroll_totp", "operator", stdout=out)
    printed = out.getvalue()
    url = re.search(r"otpauth://totp/\S+", printed)
    assert url and "issuer=MyloWare" in url.group(0) and "█" in printed or "▀" in printed
    device = TOTPDevice.objects.get(user=staff)
    assert log_in(client, "operator", PASSWORD, otp_token=current_code(device)).status_code == 302
    with pytest.raises(Exception, match="No user 'ghost'"):
        call_command("enroll_totp", "ghost", stdout=io.StringIO())


def test_a_superuser_enrols_a_user_in_the_admin_and_shows_the_qr_code(
    superuser_client: Client, staff: User
) -> None:
    add = reverse("admin:otp_totp_totpdevice_add")
    page = superuser_client.get(add)
    key = page.context["adminform"].form.fields["key"].initial()
    data = {"user": staff.pk, "name": "phone", "confirmed": "on", "key": key, "step": 30, "t0": 0,
            "digits": 6, "tolerance": 1, "drift": 0, "throttling_failure_count": 0}  # fmt: skip
    created = superuser_client.post(add, data)
    assert created.status_code == 302, re.findall(
        r'<ul class="errorlist[^>]*>.*?</ul>', created.content.decode()
    )
    device = TOTPDevice.objects.get(user=staff)
    qr = superuser_client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert log_in(Client(), "operator", PASSWORD, otp_token=current_code(device)).status_code == 302
    # Operators do not see others' secrets: the devices are the superusers' business.
    other = User.objects.create_user("colleague", password="colleague-pass-123", is_staff=True)
    other.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    colleague = Client()
    colleague.force_login(other)
    assert colleague.get("/admin/").status_code == 200
    assert colleague.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 403


# --- over real HTTP ----------------------------------------------------------------------------


def _csrf_login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    page = client.get(LOGIN)
    if page.status_code == 429:  # locked out: not even the form is served
        return page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return client.post(
        LOGIN,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1),
            "next": "/admin/",
        },
        headers={"Referer": str(client.base_url) + LOGIN},
    )


@pytest.mark.http
@pytest.mark.django_db(transaction=True)
def test_over_http_a_guesser_is_locked_out_and_an_operator_elsewhere_logs_in(gunicorn_url: str) -> None:
    User.objects.create_user("operator", password=PASSWORD, is_staff=True)
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=gunicorn_url, timeout=30, transport=transport) as guesser:
        answers = [_csrf_login(guesser, "operator", f"guess-{n}").status_code for n in range(8)]
        assert answers[:4] == [200] * 4 and answers[4:] == [429] * 4
        locked = _csrf_login(guesser, "operator", PASSWORD)
        assert locked.status_code == 429 and "Too many failed logins" in locked.text
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.2"}
    User.objects.create_user("colleague", password="colleague-pass-123", is_staff=True)
    with httpx.Client(base_url=gunicorn_url, timeout=30) as colleague:
        done = _csrf_login(colleague, "colleague", "colleague-pass-123")
        assert done.status_code == 302 and done.headers["location"] == "/admin/"
