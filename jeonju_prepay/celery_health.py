"""Liveness and readiness of the Celery worker and beat, for container health checks.

Each process keeps two files in ``CELERY_HEALTH_DIR`` (default ``<tmp>/jp-celery-health``, one
worker or beat per container):

- ``<role>.ready``: written when the process is ready (the worker consumes from the broker:
  ``worker_ready``; beat has loaded its schedule: ``beat_init``), removed when it shuts down.
- ``<role>.alive``: touched every ``CELERY_HEALTH_INTERVAL`` seconds (10) by the process's own
  loop: the worker's consumer timer (a bootstep, so a consumer stuck in a task pool or a lost
  broker connection stops it), beat's scheduler tick (``operations.scheduler``, which stops
  when the schedule cannot be read).

The check is a plain script, no Django import, so it costs milliseconds every few seconds::

    python -m jeonju_prepay.celery_health worker [--max-age 60]
    python -m jeonju_prepay.celery_health beat

It exits 0 when the role is ready and its alive file is younger than ``--max-age`` seconds,
else 1 with one line saying why.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROLES = ("worker", "beat")


def health_dir() -> Path:
    return Path(
        os.environ.get("CELERY_HEALTH_DIR") or Path(tempfile.gettempdir()) / "jp-celery-health"
    )


def interval() -> float:
    return float(os.environ.get("CELERY_HEALTH_INTERVAL", "10"))


def _path(role: str, kind: str) -> Path:
    return health_dir() / f"{role}.{kind}"


def mark_ready(role: str) -> None:
    health_dir().mkdir(parents=True, exist_ok=True)
    _path(role, "ready").write_text(str(os.getpid()))
    mark_alive(role)


def mark_alive(role: str) -> None:
    path = _path(role, "alive")
    try:
        path.touch()
    except FileNotFoundError:
        health_dir().mkdir(parents=True, exist_ok=True)
        path.touch()


def mark_stopped(role: str) -> None:
    for kind in ("ready", "alive"):
        _path(role, kind).unlink(missing_ok=True)


def check(role: str, *, max_age: float) -> tuple[bool, str]:
    ready, alive = _path(role, "ready"), _path(role, "alive")
    if not ready.exists():
        return False, f"{role} is not ready (no {ready})"
    try:
        age = time.time() - alive.stat().st_mtime
    except FileNotFoundError:
        return False, f"{role} has not reported alive (no {alive})"
    if age > max_age:
        return False, f"{role} last reported alive {age:.0f} s ago (more than {max_age:.0f} s)"
    return True, f"{role} ready, alive {age:.0f} s ago"


# --- Wiring into Celery (jeonju_prepay/celery.py) ----------------------------------------------


def install(app) -> None:
    """The worker's liveness bootstep and the signals that mark readiness."""
    from celery import bootsteps, signals

    class LivenessProbe(bootsteps.StartStopStep):
        requires = {"celery.worker.components:Timer"}

        def __init__(self, parent, **kwargs):
            super().__init__(parent, **kwargs)
            self.tref = None

        def start(self, parent):
            mark_alive("worker")
            self.tref = parent.timer.call_repeatedly(interval(), mark_alive, ("worker",))

        def stop(self, parent):
            if self.tref is not None:
                self.tref.cancel()

    app.steps["worker"].add(LivenessProbe)
    signals.worker_ready.connect(
        lambda **kw: mark_ready("worker"), weak=False, dispatch_uid="jp-worker-ready"
    )
    signals.worker_shutdown.connect(
        lambda **kw: mark_stopped("worker"), weak=False, dispatch_uid="jp-worker-stopped"
    )
    signals.beat_init.connect(
        lambda **kw: mark_ready("beat"), weak=False, dispatch_uid="jp-beat-ready"
    )


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m jeonju_prepay.celery_health")
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--max-age", type=float, default=None, help="seconds (default 6 ticks)")
    args = parser.parse_args(argv)
    ok, message = check(args.role, max_age=args.max_age or 6 * interval())
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
