#!/usr/bin/env bash
# `make run`: the app with demo data. Embedded PostgreSQL under .data/ when DATABASE_URL is unset;
# a Celery worker and beat when REDIS_URL is set (otherwise tasks run eagerly in the web process).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-jeonju_prepay.settings.local}

if [[ -z "${DATABASE_URL:-}" ]]; then
  echo "No DATABASE_URL: starting the embedded PostgreSQL under .data/pg ..."
  DATABASE_URL=$($PY -c 'from jeonju_prepay.embedded_db import database_url; print(database_url())')
  export DATABASE_URL
fi

$PY manage.py setup_platform
$PY manage.py seed_demo

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [[ -n "${REDIS_URL:-}" ]]; then
  .venv/bin/celery -A jeonju_prepay worker --loglevel=INFO --concurrency=2 &
  pids+=($!)
  .venv/bin/celery -A jeonju_prepay beat --loglevel=INFO &
  pids+=($!)
fi

cat <<MSG

  Jeonju Prepay is running.
    전주시 (Jeonju):  http://jeonju.localhost:${PORT}/
    완주군 (Wanju):   http://wanju.localhost:${PORT}/
    Platform admin:  http://localhost:${PORT}/admin/
  Browsers resolve *.localhost to this machine. From curl:
    curl -H 'Host: jeonju.localhost' http://127.0.0.1:${PORT}/
  Demo logins (password demo-pass-2021): citizen@demo.kr owner@demo.kr clerk@demo.kr
    landlord@demo.kr staff@demo.kr; platform operator: operator@demo.kr on localhost.
  Stop with Ctrl-C.

MSG

# gunicorn.conf.py: sync workers, (2 x cores) + 1 of them unless WEB_CONCURRENCY says otherwise.
.venv/bin/gunicorn --config gunicorn.conf.py --bind "0.0.0.0:${PORT}" \
  --access-logfile - --log-level warning &
pids+=($!)
wait "${pids[-1]}"
