"""The worker's and beat's health checks (docker-compose): ready once they work, failing when
their loop stops turning, and the worker not ready once it has shut down. Real processes,
frozen with SIGSTOP to play a hung one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.operations.live.test_celery_worker import pytest_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.celery_worker]


def health(role: str, directory: Path, max_age: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jeonju_prepay.celery_health", role, "--max-age", str(max_age)],
        cwd=ROOT,
        env={**os.environ, "CELERY_HEALTH_DIR": str(directory)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def wait_for(condition, *, timeout: float, what: str, process=None):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process is None or process.poll() is None, f"{what}: the process exited"
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.5)


def start(args: list[str], directory: Path, redis_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.local",
        "DATABASE_URL": pytest_database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "CELERY_HEALTH_DIR": str(directory),
        "CELERY_HEALTH_INTERVAL": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jeonju_prepay", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGCONT)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_worker_health_is_ready_alive_then_stale_when_hung_then_not_ready_after_shutdown(
    committed_db, redis_url, tmp_path
):
    queue = f"test-health-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    assert health("worker", tmp_path, 3).returncode == 1  # nothing started yet
    worker = start(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        tmp_path,
        redis_url,
        log,
    )
    try:
        wait_for(
            lambda: health("worker", tmp_path, 3).returncode == 0,
            timeout=120,
            what="worker ready",
            process=worker,
        )
        worker.send_signal(signal.SIGSTOP)  # the main loop stops turning
        time.sleep(4)
        hung = health("worker", tmp_path, 3)
        assert hung.returncode == 1
        assert "worker last reported alive" in hung.stdout
        worker.send_signal(signal.SIGCONT)
        wait_for(
            lambda: health("worker", tmp_path, 3).returncode == 0,
            timeout=30,
            what="worker alive again",
        )
    finally:
        stop(worker)
    gone = health("worker", tmp_path, 3)
    assert gone.returncode == 1
    assert "worker is not ready" in gone.stdout, log.read_text()[-2000:]


def test_beat_health_is_alive_while_it_ticks_and_stale_once_it_stops(
    committed_db, redis_url, tmp_path
):
    log = tmp_path / "beat.log"
    beat = start(
        ["beat", "--max-interval", "1", "--pidfile=", "--loglevel=INFO"],
        tmp_path,
        redis_url,
        log,
    )
    try:
        wait_for(
            lambda: health("beat", tmp_path, 3).returncode == 0,
            timeout=120,
            what="beat ready",
            process=beat,
        )
        beat.send_signal(signal.SIGSTOP)
        time.sleep(4)
        hung = health("beat", tmp_path, 3)
        assert hung.returncode == 1, log.read_text()[-2000:]
        assert "beat last reported alive" in hung.stdout
    finally:
        stop(beat)
