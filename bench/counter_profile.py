"""Where a counter request's time goes: the cost of one request through the whole Django stack
(WSGI handler, middleware, DRF, services, SQL), in one process, with figures that other people's
load on the machine changes little.

Each request of ``--kind`` (floor, payments, redemptions) is a real request to the project's
WSGI application, as gunicorn would pass it (the bench city's host, a device token, a fresh code
and Idempotency-Key), answered 201 or the script stops. Printed per request:

  python CPU     this process's CPU time (the app's Python, psycopg2's client side)
  postgres CPU   the CPU time of this connection's backend, from /proc
  round trips    statements sent to PostgreSQL (execute() calls, and connection health checks)

and, with ``--cprofile``, the request's Python time by part (middleware and handler, DRF's own
machinery, device authentication, the service, the money function's round trip); with
``--explain``, auto_explain's duration of every statement PostgreSQL ran for one request,
nested statements of the PL/pgSQL functions included (sent to this client as notices, not to
the server's log); with ``--callgrind``, run under ``valgrind --tool=callgrind`` and the
instructions of the measured requests only (valgrind-ed Python is about 50 times slower).

    python bench/counter_profile.py [--kind payments] [--requests 300] [--cprofile]
                                    [--explain] [--callgrind]
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DEBUG", "false")
os.environ["BENCH_ENDPOINTS"] = "true"
os.environ.setdefault("LOG_LEVEL", "WARNING")
# One backend for the whole run, so that its CPU can be read from /proc (60 s by default).
os.environ.setdefault("CONN_MAX_AGE", "3600")

from _setup import (
    ROOT,
    codes_mint,
    counter_analyze,
    counter_citizens,
    counter_city,
    counter_devices,
    counter_prepaid,
    django_setup,
    floor_tables,
)

SCHEMA = "bench_counter"
HOST = "bench-counter.localhost"
PATHS = {
    "floor": "/bench/floor",
    "payments": "/api/v1/counter/payments",
    "redemptions": "/api/v1/counter/redemptions",
}


def backend_cpu() -> float:
    from django.db import connection

    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RoundTrips:
    """Counts statements sent through Django's cursors and the health checks' ``SELECT 1``,
    which go around them on the raw connection."""

    def __init__(self):
        from django.db.backends.base.base import BaseDatabaseWrapper

        self.statements = 0
        self.health_checks = 0
        self.sql: list[str] = []
        self._wrapper_class = BaseDatabaseWrapper

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        self.sql.append(sql)
        return execute(sql, params, many, context)

    def install(self):
        """Count statements, and the health checks' ``SELECT 1`` (sent by Django's PostgreSQL
        backend's ``is_usable()``, which the project's backend calls only when the socket is
        not quiet)."""
        from django.db import connections
        from django.db.backends.postgresql.base import DatabaseWrapper

        if not getattr(DatabaseWrapper, "_bench_counted", False):
            original = DatabaseWrapper.is_usable
            meter = self

            def is_usable(db):
                meter.health_checks += 1
                return original(db)

            DatabaseWrapper.is_usable = is_usable
            DatabaseWrapper._bench_counted = True
        return connections["default"].execute_wrapper(self)


def build_requests(kind: str, count: int, users: list[int], token: str) -> list[dict]:
    """WSGI environs of ``count`` requests, with codes minted now."""
    from django.test import RequestFactory

    factory = RequestFactory()
    if kind == "floor":
        specs = [
            (f"{PATHS['floor']}?account={1 + (n * 7919) % 1000}", b"", {}) for n in range(count)
        ]
    else:
        codes = codes_mint(users[:count])
        key = f"profile-{time.time_ns()}"
        specs = [
            (
                PATHS[kind],
                json.dumps({"code": code, "amount": 1_000 + (n % 50) * 100}).encode(),
                {
                    "HTTP_AUTHORIZATION": f"Token {token}",
                    "HTTP_IDEMPOTENCY_KEY": f"{key}-{n}",
                },
            )
            for n, code in enumerate(codes)
        ]
    environs = []
    for path, body, headers in specs:
        request = factory.post(
            path, data=body, content_type="application/json", HTTP_HOST=HOST, **headers
        )
        environs.append(request.environ)
    return environs


def call(application, environ) -> tuple[str, bytes]:
    status_line = []

    def start_response(status, headers, exc_info=None):
        status_line.append(status)

    body = b"".join(application(environ, start_response))
    return status_line[0], body


def run(application, environs) -> None:
    for environ in environs:
        status, body = call(application, environ)
        if not status.startswith("201"):
            raise SystemExit(f"{environ['PATH_INFO']}: {status} {body[:300]!r}")


def cprofile_breakdown(stats, n: int) -> list[tuple[str, float]]:
    """The request's Python time by part, from cProfile's cumulative times (ms per request)."""
    import pstats

    ps = pstats.Stats(stats)
    table = ps.stats  # (file, line, name) -> (cc, nc, tt, ct, callers)

    def cumulative(file_part: str, name: str) -> float:
        return sum(v[3] for (f, _l, fn), v in table.items() if fn == name and f.endswith(file_part))

    def own(name_part: str) -> float:
        return sum(v[2] for (f, _l, fn), v in table.items() if name_part in fn)

    total = cumulative("django/core/handlers/wsgi.py", "__call__")
    dispatch = cumulative("rest_framework/views.py", "dispatch")
    initial = cumulative("rest_framework/views.py", "initial")
    authenticate = cumulative("merchants/authentication.py", "authenticate")
    finalize = cumulative("rest_framework/views.py", "finalize_response")
    render = cumulative("rest_framework/response.py", "rendered_content")
    parse = cumulative("rest_framework/request.py", "_parse")
    service_pay = cumulative("vouchers/services.py", "counter_pay")
    service_redeem = cumulative("campaigns/services.py", "counter_redeem")
    money_call = cumulative("vouchers/services.py", "_call_alone")
    code_resolve = cumulative("merchants/services.py", "payment_code_resolve")
    db_client = own("method 'execute' of 'psycopg2.extensions.cursor' objects")
    view = cumulative("jeonju_prepay/bench_views.py", "floor")
    per = 1000 / n
    rows = [
        ("whole request (WSGI handler)", total),
        ("  outside DRF: middleware, URL routing, handler", total - (dispatch or view)),
    ]
    if dispatch:
        rows += [
            ("  DRF dispatch", dispatch),
            ("    initial(): authentication, permissions, throttles, negotiation", initial),
            ("      of which device token look-up", authenticate),
            ("    request body parsing", parse),
            ("    finalize_response + rendering", finalize + render),
        ]
    if service_pay or service_redeem:
        rows += [
            ("    service (counter_pay / counter_redeem)", service_pay + service_redeem),
            ("      code look-up (payment_code_resolve)", code_resolve),
            ("      money function round trip (wallet_pay / prepaid_redeem)", money_call),
        ]
    if view:
        rows.append(("  floor view", view))
    rows.append(("psycopg2 execute() (client side; the wait is not CPU)", db_client))
    return [(label, value * per) for label, value in rows]


def explain_one(application, environ) -> list[tuple[float, str]]:
    """auto_explain's (duration ms, statement) for every statement of one request, nested ones
    of the PL/pgSQL functions included; sent to this client as notices."""
    from django.db import connection

    raw = connection.connection
    notices: list[str] = []
    raw.notices = notices
    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for setting in (
            "auto_explain.log_min_duration = 0",
            "auto_explain.log_nested_statements = on",
            "auto_explain.log_analyze = on",
            "auto_explain.log_timing = off",
            "auto_explain.log_level = notice",
            "auto_explain.log_format = json",
            "client_min_messages = notice",
        ):
            cursor.execute(f"SET {setting}")
    try:
        status, body = call(application, environ)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET auto_explain.log_min_duration = -1")
            cursor.execute("RESET client_min_messages")
    if not status.startswith("201"):
        raise SystemExit(f"{status} {body[:300]!r}")
    rows = []
    for notice in notices:
        text = notice.split("plan:", 1)
        if len(text) != 2:
            continue
        try:
            plan = json.loads(text[1])
        except ValueError:
            continue
        duration = float(notice.split("duration:", 1)[1].split("ms", 1)[0])
        rows.append((duration, " ".join(plan.get("Query Text", "?").split())[:110]))
    return rows


def callgrind():
    """bench/cgtoggle.c's client requests (compiled on first use): instructions are counted
    between ``cg_start()`` and ``cg_stop(name)``, which dumps them under ``name``."""
    import ctypes
    import shutil

    source, library = ROOT / "bench" / "cgtoggle.c", ROOT / ".data" / "bench" / "libcgtoggle.so"
    if not library.exists() or library.stat().st_mtime < source.stat().st_mtime:
        library.parent.mkdir(parents=True, exist_ok=True)
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise SystemExit("--callgrind needs a C compiler and valgrind's headers")
        subprocess.run(
            [compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True
        )
    lib = ctypes.CDLL(str(library))
    lib.cg_stop.argtypes = [ctypes.c_char_p]
    return lib


def callgrind_dumps(prefix: Path) -> list[tuple[str, int]]:
    """(name, instructions) of every dump callgrind wrote for ``cg_stop(name)``."""
    found = []
    for path in sorted(prefix.parent.glob(prefix.name + ".*")):
        name = total = None
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("desc: Trigger: Client Request:"):
                name = line.split("Client Request:", 1)[1].strip()
            elif line.startswith("totals:"):
                total = int(line.split()[1])
        if name and total is not None:
            found.append((name, total))
    return found


def callgrind_parent(args) -> int:
    """Run this script again under callgrind and print the instructions a request."""
    out = ROOT / ".data" / "bench" / f"callgrind.{args.kind}.{os.getpid()}"
    out.parent.mkdir(parents=True, exist_ok=True)
    callgrind()  # compile before valgrind starts
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        *sys.argv,
    ]
    result = subprocess.run(
        command,
        env={**os.environ, "VALGRIND_CALLGRIND": "1", "PYTHONHASHSEED": "0"},
        stderr=subprocess.DEVNULL,
    )
    dumps = callgrind_dumps(out)
    for name, total in dumps:
        kind, count = name.split(":")
        print(f"callgrind {kind}: {total / int(count):,.0f} instructions a request")
    for path in out.parent.glob(out.name + "*"):
        path.unlink()
    return result.returncode


def print_explain(application, environs) -> None:
    """Each statement's median duration over the requests (auto_explain, no per-node timing),
    in the order PostgreSQL ran them; a function's line includes its nested statements."""
    import statistics

    runs = [explain_one(application, environ) for environ in environs]
    order: list[str] = []
    durations: dict[str, list[float]] = {}
    for rows in runs:
        for duration, sql in rows:
            # A top-level call carries its arguments as literals: one line per function.
            key = re.sub(
                r"^(SELECT (\* FROM )?(?!(count|COUNT|COALESCE)\()\w+)\(.*", r"\1(...)", sql
            )
            key = key[:100]
            if key not in durations:
                order.append(key)
            durations.setdefault(key, []).append(duration)
    print(f"  auto_explain over {len(runs)} requests: median ms, times a request, statement")
    for key in order:
        values = durations[key]
        print(f"    {statistics.median(values):7.3f}  x{len(values) / len(runs):4.1f}  {key}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=list(PATHS), default="payments")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--callgrind", action="store_true", help="run under valgrind")
    parser.add_argument("--repeat", type=int, default=3, help="measure this many times")
    args = parser.parse_args()

    if args.callgrind and "VALGRIND_CALLGRIND" not in os.environ:
        raise SystemExit(callgrind_parent(args))

    django_setup()
    from django.db import connection

    from jeonju_prepay.wsgi import application

    city, shops = counter_city(SCHEMA, "카운터벤치시")
    token = counter_devices(shops[:1], 1)[0]
    needed = args.warm + args.requests
    users: list[int] = []
    if args.kind == "payments":
        users = [u.pk for u in counter_citizens(needed)]
    elif args.kind == "redemptions":
        people = counter_citizens(needed)
        counter_prepaid(people, [shops[0]] * needed)
        users = [u.pk for u in people]
    floor_tables()
    counter_analyze()

    run(application, build_requests(args.kind, args.warm, users, token))
    meter = RoundTrips()
    python, postgres, trips, health = [], [], [], []
    for _ in range(args.repeat):
        environs = build_requests(args.kind, args.requests, users, token)
        connection.ensure_connection()
        meter.statements = meter.health_checks = 0
        meter.sql.clear()
        # The cyclic collector's full passes land in one window or another by chance and cost
        # more than a request: start each window with a collected, frozen heap.
        gc.collect()
        gc.freeze()
        with meter.install():
            profiler = None
            if args.cprofile:
                import cProfile

                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
            if os.environ.get("VALGRIND_CALLGRIND"):
                callgrind().cg_start()
            pg0, py0 = backend_cpu(), time.process_time()
            run(application, environs)
            py1 = time.process_time()
            if os.environ.get("VALGRIND_CALLGRIND"):
                callgrind().cg_stop(f"{args.kind}:{args.requests}".encode())
            pg1 = backend_cpu()
            if profiler is not None:
                profiler.disable()
        n = args.requests
        python.append((py1 - py0) * 1000 / n)
        postgres.append((pg1 - pg0) * 1000 / n)
        trips.append(meter.statements / n)
        health.append(meter.health_checks / n)
    load = "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    print(
        f"{args.kind}: {args.requests} requests x {args.repeat} through the WSGI application"
        f" in one process ({load})"
    )
    print(
        "  python CPU ms/request "
        + ", ".join(f"{x:.3f}" for x in python)
        + "; postgres CPU ms/request "
        + ", ".join(f"{x:.3f}" for x in postgres)
    )
    print(
        f"  round trips a request: {trips[-1]:.2f} statements + {health[-1]:.2f} health checks"
        " (SELECT 1)"
    )
    counts: dict[str, int] = {}
    for sql in meter.sql:
        key = " ".join(sql.split())[:90]
        counts[key] = counts.get(key, 0) + 1
    for sql, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"    {count / args.requests:5.2f} x {sql}")
    if args.cprofile:
        stream = io.StringIO()
        import pstats

        for label, value in cprofile_breakdown(profiler, args.requests):
            print(f"  {value:7.3f} ms  {label}")
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(25)
        print(stream.getvalue())
    if args.explain:
        print_explain(application, build_requests(args.kind, 30, users, token))
    connection.set_tenant(city)


if __name__ == "__main__":
    main()
