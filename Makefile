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

.PHONY: install run test lint format bandit audit bank-test-ci restore-drill messages vendor bench clean-data

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
	$(PY) manage.py makemigrations --check --dry-run

# Risky patterns in our own code (high severity fails).
bandit: install
	$(VENV)/bin/bandit -q -r accounts cities campaigns counter dashboard districts jeonju_prepay ledger merchants messaging operations rentals vouchers -x '*/migrations/*' --severity-level high

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

clean-data:
	rm -rf .data
