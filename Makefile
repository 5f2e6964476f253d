# Jeonju Prepay: `make run` (the app with demo data) and `make test` (the whole suite).
# Everything installs into .venv from uv.lock; nothing is needed on the machine but Python 3.11.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= jeonju_prepay.settings.local

.PHONY: install run test lint format bandit audit bank-test-ci restore-drill messages vendor bench clean-data \
	citus-up citus-down citus-status test-citus bank-test-citus citus-rebalance

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

# Migrates every schema, seeds the demo cities and serves on $(PORT) (see scripts/run.sh).
run: install
	PORT=$(PORT) ./scripts/run.sh

test: install
	CI=$(CI) DJANGO_SETTINGS_MODULE=jeonju_prepay.settings.test $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

# Risky patterns in our own code (high severity fails).
bandit: install
	$(VENV)/bin/bandit -q -r accounts cards cities campaigns counter dashboard districts jeonju_prepay ledger merchants messaging operations rentals vouchers workplaces sales solidarity grants fraud -x '*/migrations/*' --severity-level high

# Known vulnerabilities in the locked dependencies, from the first advisory source that answers
# (PyPI's per-release JSON, OSV or OSV_URL, ecosyste.ms). Reaching none fails (exit 3) and says
# that nothing was audited; AUDIT_ALLOW_UNREACHABLE=1 turns only that case into a warning.
audit: install
	mkdir -p .data
	$(UV) export --frozen --no-hashes --no-emit-project --format requirements-txt > .data/audit-requirements.txt
	$(PY) scripts/audit.py .data/audit-requirements.txt

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Korean and English catalogues: extract, then compile (the .mo files are committed).
messages: install
	$(PY) manage.py makemessages -l ko -l en --ignore ".venv/*" --ignore ".tools/*" --ignore "node_modules/*" --ignore ".data/*"
	$(PY) manage.py makemessages -d djangojs -l ko -l en --ignore ".venv/*" --ignore ".tools/*" --ignore "node_modules/*" --ignore ".data/*" --ignore "static/vendor/*"
	$(PY) manage.py compilemessages --ignore ".venv/*" --ignore ".tools/*"

# Refresh the pinned browser libraries from package-lock.json into static/vendor/ (and the
# accessibility checker axe-core into tests/browser/vendor/).
vendor:
	npm ci --no-audit --no-fund
	mkdir -p static/vendor
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/chart.js/dist/chart.umd.js static/vendor/chart.umd.min.js
	cp node_modules/jsqr/dist/jsQR.js static/vendor/jsQR.js
	# axe-core is a test tool: the accessibility test injects it into pages; it is never served.
	mkdir -p tests/browser/vendor
	cp node_modules/axe-core/axe.min.js tests/browser/vendor/axe.min.js
	cp node_modules/axe-core/LICENSE tests/browser/vendor/axe-core.LICENSE

bench: install
	$(PY) bench/ledger_bench.py

# The short bank test with faults that CI runs (bench/bank_test.py; docs/reliability.md).
bank-test-ci: install
	$(PY) bench/bank_test.py --clients 16 --seconds 60 --chaos --pg-every 30 --worker-every 10 20 --nightly-payments 20000

# Back up, write payments, lose the database, restore it to a chosen moment with pgBackRest, and
# prove nothing acknowledged before that moment was lost (scripts/restore_drill.py). Its own
# PostgreSQL on DRILL_PG_PORT (55100), data under .data/restore-drill; no Docker.
restore-drill: install
	$(PY) scripts/restore_drill.py

# --- Citus: a coordinator and two workers on this machine (scripts/citus.sh, docs/scale-out.md) ----
# Needs the Citus extension in the machine's PostgreSQL (../shared/citus/install-citus.sh).
CITUS_PORT ?= 9700
CITUS_DATABASE ?= jp_citus
CITUS_URL := postgres://postgres@127.0.0.1:$(CITUS_PORT)/$(CITUS_DATABASE)

citus-up:
	CITUS_PORT=$(CITUS_PORT) scripts/citus.sh up
	@if ! psql -X -tA -h 127.0.0.1 -p $(CITUS_PORT) -U postgres -d postgres \
	    -c "SELECT 1 FROM pg_database WHERE datname = '$(CITUS_DATABASE)'" | grep -q 1; then \
	  CITUS_PORT=$(CITUS_PORT) scripts/citus.sh createdb $(CITUS_DATABASE); fi
	@echo "DATABASE_URL=$(CITUS_URL)"

citus-down:
	CITUS_PORT=$(CITUS_PORT) scripts/citus.sh down

citus-status:
	CITUS_PORT=$(CITUS_PORT) scripts/citus.sh status $(CITUS_DATABASE)

# The whole suite but the browser tests against the coordinator. The test database is made
# fresh on every node first (Django cannot set Citus up in a database it creates), then kept.
test-citus: install citus-up
	CITUS_PORT=$(CITUS_PORT) scripts/citus.sh createdb test_$(CITUS_DATABASE)
	CI=$(CI) JP_CITUS=1 DATABASE_URL=$(CITUS_URL) DJANGO_SETTINGS_MODULE=jeonju_prepay.settings.test \
	  $(PY) -m pytest --reuse-db -m "not browser" $(PYTEST_ARGS)

# The bank test against the coordinator; --chaos also stops the PostgreSQL of the worker that
# holds the bank city (and the coordinator's) with -m immediate (docs/scale-out.md).
bank-test-citus: install citus-up
	$(PY) bench/bank_test.py --citus --clients 16 --seconds 60 --chaos --pg-every 20 --worker-every 10 20 --nightly-payments 20000

# Add a third worker, rebalance the cities onto it, drain it again; no won may move
# (bench/citus_rebalance.py, docs/scale-out.md).
citus-rebalance: install citus-up
	$(PY) bench/citus_rebalance.py --cities 4

clean-data:
	rm -rf .data
