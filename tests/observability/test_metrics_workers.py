"""gunicorn as shipped (gunicorn.conf.py) runs several worker processes; whichever one answers
the scrape, the page shows what every worker counted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-tests-0123456789"
REQUESTS = 30


def _refusals(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "jp_refusals_total" and sample.labels == {
                "city": "jeonju",
                "code": "not_authenticated",
                "status": "401",
            }:
                return sample.value
    return 0.0


@pytest.mark.slow
def test_every_scrape_sums_the_counts_of_every_gunicorn_worker(committed_db, tmp_path):
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.test",
        "DATABASE_URL": database_url,
        "METRICS_TOKEN": TOKEN,
        "METRICS_CACHE_SECONDS": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "WEB_CONCURRENCY": "3",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{base}/healthz", headers={"Host": "localhost"}, timeout=10)
                break
            except requests.RequestException:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "gunicorn did not answer in time"
                time.sleep(0.25)
        # Each request on a new connection: the sync workers take them off one queue. A worker
        # answers once it has imported the app (jeonju_prepay/wsgi.py), so the first to be ready
        # may serve a first round alone: send rounds until two workers have counted.
        sent = 0
        workers_that_counted: set[str] = set()
        while len(workers_that_counted) < 2:
            assert time.monotonic() < deadline, workers_that_counted
            for _ in range(REQUESTS):
                answer = requests.get(
                    f"{base}/api/v1/wallet",
                    headers={"Host": "jeonju.localhost", "Connection": "close"},
                    timeout=10,
                )
                assert answer.status_code == 401
                sent += 1
            workers_that_counted = {
                path.name for path in metrics_dir.glob("counter_*.db") if path.stat().st_size
            }
        seen = []
        for _ in range(6):
            scrape = requests.get(
                f"{base}/metrics",
                headers={"Authorization": f"Bearer {TOKEN}", "Connection": "close"},
                timeout=10,
            )
            assert scrape.status_code == 200
            seen.append(_refusals(scrape.text))
        assert seen == [sent] * 6
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
