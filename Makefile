# The README's commands. `make run` and `make test` work on a fresh clone.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
export UV_PROJECT_ENVIRONMENT := $(VENV)
# `make run PORT=8080 MAIL_PORT=2525`: the web server's and the local mail sink's ports.
PORT ?= 8000
MAIL_PORT ?= 1025
# The local e-invoicing platform's port; the demo organisation transmits to it.
PLATFORM_PORT ?= 8765
export EINVOICING_DEMO_PLATFORM_URL ?= http://127.0.0.1:$(PLATFORM_PORT)

.PHONY: run test lint typecheck format bench load migrate demo clean messages check-deploy

$(VENV)/bin/uv:
	@scripts/system-deps
	@PYTHON=$$(scripts/find-python) && echo "Using $$PYTHON" && $$PYTHON -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(VENV)/bin/uv pyproject.toml uv.lock
	@$(VENV)/bin/uv sync --frozen --python $(PY) -q
	@touch $@

venv: $(VENV)/.synced

messages: venv
	@if command -v msgfmt >/dev/null 2>&1; then $(PY) manage.py compilemessages -v0 --ignore=.venv; fi

migrate: venv messages
	@mkdir -p var
	@$(PY) manage.py migrate -v0

demo: migrate
	@$(PY) manage.py seed_demo

# Links in e-mails (the demo's too) point at this server unless SITE_URL says otherwise.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: demo
	@echo "CommBilling on http://127.0.0.1:$(PORT) (mail sink on port $(MAIL_PORT), e-invoicing platform on port $(PLATFORM_PORT)) — Ctrl-C stops web, workers, scheduler, mail sink and platform."
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) MAIL_PORT=$(MAIL_PORT) EMAIL_PORT=$(MAIL_PORT) PLATFORM_PORT=$(PLATFORM_PORT) \
		$(PY) scripts/run Procfile.dev

lint: venv
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

# mypy with django-stubs (pyproject.toml): the whole tree, strict on activity/. Its Django
# plugin imports the settings; with no DATABASE_URL they name SQLite, which is enough.
typecheck: venv
	@$(VENV)/bin/mypy .

format: venv
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

# The suite runs in one process per core, at most four (pytest-xdist): each has its own
# test database, queue, Celery worker and media folder; an idle process takes tests queued
# for another (worksteal). TEST_PROCESSES=0 runs it in one.
TEST_PROCESSES ?= auto
# Where the code takes another path on SQLite (the development default) than on PostgreSQL:
# the Activity Log's guards and trigger, numbering row by row, the freeze of issued
# documents and its one exception, the counters' recount, the statements of a generation.
# On PostgreSQL, `make test` runs these modules on SQLite as well (tests that need
# PostgreSQL deselected), so that CI covers both.
SQLITE_PATHS := tests/activity/test_append_only.py tests/faults/test_log_orm_paths.py \
	tests/invoices/test_numbering.py tests/invoices/test_frozen.py \
	tests/invoices/test_retake_parties.py tests/refunds/test_credit_notes.py \
	tests/einvoicing/test_credit_notes.py tests/dashboard/test_counters.py \
	tests/invoices/test_generation_queries.py
test: venv messages lint typecheck
	@$(PY) manage.py makemigrations --check --dry-run -v0
	@$(VENV)/bin/pytest -n $(TEST_PROCESSES) --maxprocesses=4 --dist worksteal $(PYTEST_ARGS)
ifneq ($(findstring postgres,$(DATABASE_URL)),)
	@echo "--- the same code on SQLite, where it takes other paths"
	@env -u DATABASE_URL -u CELERY_BROKER_URL $(VENV)/bin/pytest -n $(TEST_PROCESSES) \
		--maxprocesses=4 --dist worksteal -m "not postgresql" $(PYTEST_ARGS) $(SQLITE_PATHS)
endif

# Benchmarks on DATABASE_URL (each in a throwaway database it creates and drops), then
# issue 15's figures one per line. BENCH_SCALE=full runs the issue's sizes.
bench: venv messages
	@$(PY) bench/run.py

# 50 accountants browsing and polling (locust) while 1,000 invoices are generated and
# e-mailed, against gunicorn on loopback: prints requests, errors and p95.
LOAD_USERS ?= 50
LOAD_BATCH ?= 1000
LOAD_MAX_SECONDS ?= 300
load: venv messages
	@$(PY) bench/load.py $(LOAD_USERS) $(LOAD_BATCH) $(LOAD_MAX_SECONDS)

check-deploy: venv
	@COMMBILLING_PROFILE=production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		SECRETS_ENCRYPTION_KEYS=$$(head -c 32 /dev/urandom | base64 | tr '+/' '-_') \
		ALLOWED_HOSTS=billing.example.com $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var staticfiles
