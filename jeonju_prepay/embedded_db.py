"""The embedded PostgreSQL used when no ``DATABASE_URL`` is set.

`pgserver` ships PostgreSQL binaries in a wheel; the data lives under ``.data/pg`` and survives
restarts, so a second ``make run`` reuses it. Every process (runserver, gunicorn workers,
management commands, pytest) calls :func:`database_url`; the first one starts the server and the
others attach to it.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("EMBEDDED_PG_DIR", BASE_DIR / ".data" / "pg"))
DATABASE_NAME = "jeonju_prepay"


def database_url() -> str:
    """Start (or attach to) the embedded server and return a URL for our database."""
    import pgserver  # imported lazily: production never loads it

    DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(DATA_DIR, cleanup_mode=None)
    # DATABASE_NAME is a constant of this module, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    # pgserver listens on a unix socket inside the data directory.
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"


def stop() -> None:
    """Stop the embedded server if it runs (``python -m jeonju_prepay.embedded_db stop``)."""
    import pgserver  # noqa: F401 - makes sure the binaries are there
    from pgserver._commands import pg_ctl

    if not (DATA_DIR / "postmaster.pid").exists():
        print("embedded PostgreSQL is not running")
        return
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=DATA_DIR, user=user)
    print("embedded PostgreSQL stopped")


if __name__ == "__main__":
    import sys

    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "stop":
        stop()
    elif command == "url":
        print(database_url())
    else:
        raise SystemExit("usage: python -m jeonju_prepay.embedded_db [url|stop]")
