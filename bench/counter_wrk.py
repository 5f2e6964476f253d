"""The counter's cost against the floor, with a load generator that leaves the server its cores.

gunicorn serves the bench city as shipped (gunicorn.conf.py: sync workers, (2 x cores) + 1);
the load comes from ``wrk`` (a closed loop) and from ``bench/openloop.c`` (an open-loop
schedule), both C programs, so the client costs a few percent of the machine where the Python
client of bench/counter_bench.py cost as much as the server's Python. Three kinds of request:

  floor        POST /bench/floor (jeonju_prepay/bench_views.py): tenancy middleware, one
               transaction that locks a row, updates a balance and inserts a row
  payments     POST /api/v1/counter/payments, a device token, an Idempotency-Key and a fresh
               customer code each
  redemptions  POST /api/v1/counter/redemptions on prepaid balances, the same way

Customer codes are minted just before each measurement, one per request (a code lives three
minutes), and written with the keys into the files the generators read.

Two measures per run:

  closed loop  wrk, CONNECTIONS connections (one per wrk thread), each sending its next request
               when the last is answered, for SECONDS. Throughput is counted over the window in
               which every connection was busy; the ratio to the floor is taken within the run.
  open loop    openloop.c sends request i at t0 + i / RATE on a new connection whatever the
               earlier ones are doing, and measures its latency from that scheduled time (no
               coordinated omission: see the comment at the top of openloop.c for why not wrk).

Beside every figure: the load average (the machine is shared), the server's CPU time per
request (gunicorn workers and their PostgreSQL backends, from /proc; other people's load does
not change it much, so cuts are compared on it) and the generator's own CPU share.

Checks: any answer but 201 is an error; every payment and redemption answered 201 must be a
distinct row whose ledger entry moved its amount (the shop's payable, the prepaid balance);
no payment may exist that no client saw; ``ledger_check`` on the city at the end.

    python bench/counter_wrk.py [--fresh] [--runs 3] [--seconds 8] [--connections 16]
                                [--rate 150] [--open-seconds 12] [--port 8500]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from _setup import (
    ROOT,
    bench_city_drop,
    codes_mint,
    counter_analyze,
    counter_citizens,
    counter_city,
    counter_devices,
    counter_prepaid,
    django_setup,
    floor_tables,
    percentile,
    server_shape,
    server_start,
    server_stop,
)

SCHEMA = "bench_counter"
HOST = "bench-counter.localhost"
KINDS = ("floor", "payments", "redemptions")
PATHS = {"payments": "/api/v1/counter/payments", "redemptions": "/api/v1/counter/redemptions"}
APP_NAME = "counter-wrk-server"  # the server's PostgreSQL connections, to read their CPU
TARGET_RATIO = 0.6
TARGET_P99_MS = 50.0
WORK = ROOT / ".data" / "bench"
TICK = os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


# --- CPU accounting ------------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(ppid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == ppid:
                pids.append(int(entry.name))
    return pids


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK, sum(values[:8]) / TICK


@dataclass
class CpuSnapshot:
    workers: dict[int, float]
    backends: dict[int, float]
    machine_busy: float
    machine_total: float
    wall: float


class CpuMeter:
    """CPU seconds of the gunicorn workers and of their PostgreSQL backends (found by their
    application_name). A backend that exits during a measure takes its CPU with it; the server
    keeps its connections (CONN_MAX_AGE), so none does unless a cut changes that."""

    def __init__(self, master_pid: int):
        self.master_pid = master_pid

    def _backend_pids(self) -> list[int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
            )
            return [row[0] for row in cursor.fetchall()]

    def snapshot(self) -> CpuSnapshot:
        busy, total = _machine_cpu()
        return CpuSnapshot(
            {pid: _proc_cpu(pid) for pid in _children(self.master_pid)},
            {pid: _proc_cpu(pid) for pid in self._backend_pids()},
            busy,
            total,
            time.monotonic(),
        )


@dataclass
class CpuUse:
    python: float  # seconds, gunicorn workers
    postgres: float  # seconds, their backends
    generator: float  # seconds, wrk or openloop
    machine_busy: float  # seconds, every process on the machine
    machine_total: float  # seconds of CPU the machine had (cores x wall)

    @property
    def others(self) -> float:
        """CPU the rest of the machine (other people, the bench's own process) used meanwhile."""
        return max(0.0, self.machine_busy - self.python - self.postgres - self.generator)


def cpu_between(a: CpuSnapshot, b: CpuSnapshot, generator: float) -> CpuUse:
    python = sum(v - a.workers.get(pid, 0.0) for pid, v in b.workers.items())
    postgres = sum(v - a.backends.get(pid, 0.0) for pid, v in b.backends.items())
    return CpuUse(
        python,
        postgres,
        generator,
        b.machine_busy - a.machine_busy,
        b.machine_total - a.machine_total,
    )


# --- Requests -------------------------------------------------------------------------------------


@dataclass
class Pool:
    """Who pays and redeems: line n of any batch is sent by connection n % connections with
    token n % connections, and its citizen holds a prepaid balance at that token's shop."""

    tokens: list[str]
    pay_users: list[int]
    redeem_users: list[int]


def request_specs(kind: str, count: int, pool: Pool, tag: str):
    """(path, authorization, idempotency key, json body) of ``count`` requests of ``kind``,
    with codes minted now."""
    if kind == "floor":
        return [(f"/bench/floor?account={1 + (n * 7919) % 1000}", "", "", "") for n in range(count)]
    users = pool.pay_users if kind == "payments" else pool.redeem_users
    codes = codes_mint(users[:count])
    specs = []
    for n, code in enumerate(codes):
        body = json.dumps({"code": code, "amount": 1_000 + (n % 50) * 100})
        token = pool.tokens[n % len(pool.tokens)]
        specs.append((PATHS[kind], f"Token {token}", f"{tag}-{n}", body))
    return specs


def write_lines(path: Path, specs) -> None:
    path.write_text("".join("\t".join(spec) + "\n" for spec in specs))


def write_raw(path: Path, specs) -> None:
    with path.open("wb") as out:
        for target, auth, key, body in specs:
            head = [f"POST {target} HTTP/1.1", f"Host: {HOST}"]
            if auth:
                head.append(f"Authorization: {auth}")
            if key:
                head.append(f"Idempotency-Key: {key}")
            if body:
                head.append("Content-Type: application/json")
            raw_body = body.encode()
            head += [f"Content-Length: {len(raw_body)}", "Connection: close"]
            request = ("\r\n".join(head) + "\r\n\r\n").encode() + raw_body
            out.write(f"{len(request)}\n".encode() + request)


def _wait(proc: subprocess.Popen, until=None) -> tuple[int, float]:
    """Reap ``proc``; its exit status and CPU seconds. With ``until``, send it SIGINT once
    ``until()`` is true (wrk then stops and reports)."""
    interrupted = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG if until else 0)
        if pid:
            break
        if not interrupted and until():
            proc.send_signal(signal.SIGINT)
            interrupted = True
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


# --- Closed loop (wrk) -----------------------------------------------------------------------------


@dataclass
class Closed:
    kind: str
    rate: float  # requests a second over the window in which every connection was busy
    window: float
    answered: int
    errors: int
    latencies: list[float]  # ms, send to answer (a closed loop: queueing included)
    ids: list[int]
    exhausted: int
    cpu: CpuUse

    def per_request_ms(self) -> tuple[float, float]:
        return (1000 * self.cpu.python / self.answered, 1000 * self.cpu.postgres / self.answered)


def run_closed(kind, specs, *, port, connections, seconds, meter, tag) -> Closed:
    lines, out = WORK / f"{tag}.tsv", WORK / f"{tag}.out"
    write_lines(lines, specs)
    out.unlink(missing_ok=True)
    for marker in WORK.glob(f"{out.name}.done.*"):
        marker.unlink()
    before = meter.snapshot()
    with (WORK / f"{tag}.wrk.log").open("w") as log:
        proc = subprocess.Popen(
            [
                "wrk",
                "-t",
                str(connections),
                "-c",
                str(connections),
                "-d",
                f"{math.ceil(seconds) + 120}s",  # a cap: ended below once every thread is done
                "--timeout",
                "10s",
                "-H",
                f"Host: {HOST}",
                "-s",
                str(ROOT / "bench" / "counter_wrk.lua"),
                f"http://127.0.0.1:{port}",
                "--",
                str(lines),
                str(out),
                str(connections),
                str(seconds),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        # Each thread stops after its first answer past the deadline (no request is left in
        # flight); then wrk is told to finish (SIGINT ends its sleep; it writes the results).
        code, generator_cpu = _wait(
            proc, until=lambda: len(list(WORK.glob(f"{out.name}.done.*"))) >= connections
        )
    after = meter.snapshot()
    if code != 0 or not out.exists():
        raise SystemExit(f"wrk failed ({code}): see {WORK / f'{tag}.wrk.log'}")
    rows, exhausted, socket_errors = [], 0, 0
    for line in out.read_text().splitlines():
        parts = line.split()
        if parts[0] == "exhausted":
            exhausted = int(parts[1])
        elif parts[0] == "socket_errors":
            socket_errors = sum(int(x) for x in parts[2::2])
        else:
            rows.append(tuple(int(x) for x in parts))
    first = {}
    last = {}
    for thread, start, end, _status, _id in rows:
        first[thread] = min(first.get(thread, start), start)
        last[thread] = max(last.get(thread, end), end)
    if len(first) < connections:
        raise SystemExit(f"only {len(first)} of {connections} connections answered ({tag})")
    begin, finish = max(first.values()), min(last.values())
    in_window = sum(1 for _t, _s, end, _st, _i in rows if begin < end <= finish)
    window = (finish - begin) / 1e6
    ok = [r for r in rows if r[3] == 201]
    return Closed(
        kind,
        in_window / window,
        window,
        len(rows),
        len(rows) - len(ok) + socket_errors,
        [(end - start) / 1000 for _t, start, end, _st, _i in rows],
        [r[4] for r in ok],
        exhausted,
        cpu_between(before, after, generator_cpu),
    )


# --- Open loop (openloop.c) ------------------------------------------------------------------------


@dataclass
class Open:
    kind: str
    rate: float
    latencies: list[float]  # ms from the scheduled start; a failed request counts as infinite
    lateness: list[float]  # ms the generator itself sent late
    errors: int
    ids: list[int]
    cpu: CpuUse

    def per_request_ms(self) -> tuple[float, float]:
        n = len(self.latencies)
        return (1000 * self.cpu.python / n, 1000 * self.cpu.postgres / n)


def openloop_binary() -> Path:
    source, binary = ROOT / "bench" / "openloop.c", WORK / "openloop"
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise SystemExit("openloop.c needs a C compiler: apt-get install gcc")
        subprocess.run([compiler, "-O2", "-Wall", "-o", str(binary), str(source)], check=True)
    return binary


def run_open(kind, specs, *, port, rate, meter, tag) -> Open:
    raw, out = WORK / f"{tag}.raw", WORK / f"{tag}.out"
    write_raw(raw, specs)
    before = meter.snapshot()
    proc = subprocess.Popen(
        [str(openloop_binary()), "127.0.0.1", str(port), str(rate), str(raw), str(out), "30"]
    )
    _code, generator_cpu = _wait(proc)
    after = meter.snapshot()
    latencies, lateness, ids, errors = [], [], [], 0
    for line in out.read_text().splitlines():
        _i, sched, sent, done, status, row_id = (int(x) for x in line.split())
        lateness.append((sent - sched) / 1000)
        if status == 201:
            latencies.append((done - sched) / 1000)
            ids.append(row_id)
        else:
            errors += 1
            latencies.append(math.inf)
    return Open(
        kind, rate, latencies, lateness, errors, ids, cpu_between(before, after, generator_cpu)
    )


# --- Checks ----------------------------------------------------------------------------------------


def _unseen(payment_ids, redemption_ids, since) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'payment', id, created_at, device_id FROM vouchers_payment"
            " WHERE created_at >= %s AND NOT id = ANY(%s)"
            " UNION ALL SELECT 'redemption', id, created_at, device_id FROM campaigns_redemption"
            " WHERE created_at >= %s AND NOT id = ANY(%s) LIMIT 20",
            [since, payment_ids, since, redemption_ids],
        )
        return cursor.fetchall()


def check_ledger(payment_ids: list[int], redemption_ids: list[int], since) -> list[str]:
    """Every payment and redemption answered 201 is a distinct row whose entry moved its
    amount; none was made that no client saw."""
    from django.db import connection

    from ledger.models import Account
    from ledger.selectors import ledger_check

    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE EXISTS ("
            "  SELECT 1 FROM ledger_posting po JOIN ledger_account a ON a.id = po.account_id"
            "  WHERE po.entry_id = p.entry_id AND a.kind = %s AND a.owner_shop_id = p.shop_id"
            "  AND po.amount = p.amount))"
            " FROM vouchers_payment p WHERE p.id = ANY(%s)",
            [Account.Kind.SHOP_PAYABLE, payment_ids],
        )
        found, in_ledger = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM vouchers_payment WHERE created_at >= %s", [since])
        (made,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE EXISTS ("
            "  SELECT 1 FROM ledger_posting po JOIN ledger_account a ON a.id = po.account_id"
            "  WHERE po.entry_id = r.entry_id AND a.kind = %s AND a.owner_user_id = r.user_id"
            "  AND a.owner_shop_id = r.shop_id AND po.amount = -r.amount))"
            " FROM campaigns_redemption r WHERE r.id = ANY(%s)",
            [Account.Kind.PREPAID, redemption_ids],
        )
        r_found, r_in_ledger = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM campaigns_redemption WHERE created_at >= %s", [since])
        (r_made,) = cursor.fetchone()
    for name, answered, distinct, rows, booked, made_ in (
        ("payments", len(payment_ids), len(set(payment_ids)), found, in_ledger, made),
        (
            "redemptions",
            len(redemption_ids),
            len(set(redemption_ids)),
            r_found,
            r_in_ledger,
            r_made,
        ),
    ):
        line = (
            f"  {name}: {answered:,} answered 201, {distinct:,} distinct, {rows:,} rows found,"
            f" {booked:,} with their amount in the ledger, {made_:,} made during the bench"
        )
        print(line)
        if not answered == distinct == rows == booked == made_:
            problems.append(line.strip())
    unseen = _unseen(payment_ids, redemption_ids, since)
    if unseen:
        print(f"  made but not answered 201 to a client: {unseen}")
    report = ledger_check()
    print(
        f"  ledger_check on {SCHEMA}: {'OK' if report.ok else 'MISMATCH'} ({report.entries:,} entries)"
    )
    if not report.ok:
        problems.append("ledger_check failed")
    return problems


# --- Main --------------------------------------------------------------------------------------------


def ms(values: list[float], pct: float) -> str:
    value = percentile(values, pct)
    return "inf" if math.isinf(value) else f"{value:.1f}"


@dataclass
class Run:
    closed: dict[str, Closed] = field(default_factory=dict)
    open: dict[str, Open] = field(default_factory=dict)
    load: str = ""

    def ratio(self, kind: str) -> float:
        return self.closed[kind].rate / self.closed["floor"].rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="closed loop, per kind")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=150.0, help="open loop, requests a second")
    parser.add_argument("--open-seconds", type=float, default=12.0, help="open loop, per kind")
    parser.add_argument(
        "--max-rate",
        type=float,
        default=700.0,
        help="codes minted per closed-loop measure: seconds x this (a connection that runs out"
        " stops, and the window ends there)",
    )
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--no-open", action="store_true", help="closed loop only")
    parser.add_argument("--fresh", action="store_true", help="drop the bench city first")
    parser.add_argument("--port", type=int, default=8500)
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    kinds = [k for k in KINDS if k in args.kinds.split(",")]
    if "floor" not in kinds:
        kinds.insert(0, "floor")  # the ratios need it

    django_setup()
    from django.db import connection
    from django.utils import timezone

    WORK.mkdir(parents=True, exist_ok=True)
    openloop_binary()
    if args.fresh:
        bench_city_drop(SCHEMA)
    closed_count = math.ceil(args.seconds * args.max_rate)
    open_count = math.ceil(args.rate * args.open_seconds)
    pool_size = max(closed_count, open_count)
    print(
        f"counter_wrk: gunicorn {server_shape()}; closed loop {args.connections} connections x"
        f" {args.seconds:g} s (wrk); open loop {args.rate:g}/s x {args.open_seconds:g} s"
        f" (openloop.c); {args.runs} runs; {os.cpu_count()} cores; {load_average()}"
    )
    started = time.monotonic()
    city, shops = counter_city(SCHEMA, "카운터벤치시")
    tokens = counter_devices(shops, args.connections)
    token_shops = [shops[i % len(shops)] for i in range(args.connections)]
    pay_users = [u.pk for u in counter_citizens(pool_size)] if "payments" in kinds else []
    redeem_users = []
    if "redemptions" in kinds:
        users = counter_citizens(pool_size)
        counter_prepaid(users, [token_shops[n % args.connections] for n in range(pool_size)])
        redeem_users = [u.pk for u in users]
    floor_tables()
    counter_analyze()
    pool = Pool(tokens, pay_users, redeem_users)
    print(f"  prepared {pool_size:,} citizens per kind in {time.monotonic() - started:.0f} s")

    server = server_start(
        args.port,
        HOST,
        env={
            "DATABASE_URL": _with_application_name(os.environ.get("DATABASE_URL", "")),
        },
    )
    meter = CpuMeter(server.pid)
    session = uuid.uuid4().hex[:6]
    runs: list[Run] = []
    try:
        # Warm every worker: imports, connections, plan caches.
        run_closed(
            "floor",
            request_specs("floor", 2000, pool, "warm"),
            port=args.port,
            connections=args.connections,
            seconds=1.5,
            meter=meter,
            tag="warm-floor",
        )
        for kind in kinds[1:]:
            run_closed(
                kind,
                request_specs(kind, 200, pool, f"wrk-{session}-warm-{kind}"),
                port=args.port,
                connections=args.connections,
                seconds=0.5,
                meter=meter,
                tag=f"warm-{kind}",
            )
        since = timezone.now()  # the payments made after this are the runs' own
        for r in range(1, args.runs + 1):
            run = Run(load=load_average())
            for kind in kinds:
                tag = f"wrk-{session}-{r}-closed-{kind}"
                run.closed[kind] = run_closed(
                    kind,
                    request_specs(kind, closed_count, pool, tag),
                    port=args.port,
                    connections=args.connections,
                    seconds=args.seconds,
                    meter=meter,
                    tag=f"closed-{kind}",
                )
            if not args.no_open:
                for kind in kinds:
                    tag = f"wrk-{session}-{r}-open-{kind}"
                    run.open[kind] = run_open(
                        kind,
                        request_specs(kind, open_count, pool, tag),
                        port=args.port,
                        rate=args.rate,
                        meter=meter,
                        tag=f"open-{kind}",
                    )
            runs.append(run)
            print_run(r, run, kinds)
    finally:
        server_stop(server)

    print_medians(runs, kinds, args)
    connection.set_tenant(city)
    payment_ids = [
        i
        for run in runs
        for m in (run.closed, run.open)
        if "payments" in m
        for i in m["payments"].ids
    ]
    redemption_ids = [
        i
        for run in runs
        for m in (run.closed, run.open)
        if "redemptions" in m
        for i in m["redemptions"].ids
    ]
    print("checks:")
    problems = check_ledger(payment_ids, redemption_ids, since)
    errors = sum(m.errors for run in runs for m in [*run.closed.values(), *run.open.values()])
    print(f"  non-201 answers and socket errors: {errors}")
    if args.json:
        args.json.write_text(json.dumps(figures(runs, kinds), indent=1))
    if problems or errors:
        raise SystemExit("FAILED: " + "; ".join(problems or [f"{errors} errors"]))


def _with_application_name(url: str) -> str:
    if not url:
        raise SystemExit("counter_wrk needs DATABASE_URL (the server's CPU is read per backend)")
    return url + ("&" if "?" in url else "?") + f"application_name={APP_NAME}"


def cpu_line(run: Run, kinds) -> str:
    parts = []
    for kind in kinds:
        py, pg = run.closed[kind].per_request_ms()
        parts.append(f"{kind} {py:.2f}+{pg:.2f}")
    return "server CPU ms/req (python+postgres, closed loop): " + ", ".join(parts)


def generator_share(run: Run) -> str:
    """The generators' CPU as a share of the machine's capacity over their measures, and of
    what server and generator used together."""
    gen = sum(m.cpu.generator for m in [*run.closed.values(), *run.open.values()])
    total = sum(m.cpu.machine_total for m in [*run.closed.values(), *run.open.values()])
    ours = sum(
        m.cpu.generator + m.cpu.python + m.cpu.postgres
        for m in [*run.closed.values(), *run.open.values()]
    )
    others = sum(m.cpu.others for m in [*run.closed.values(), *run.open.values()])
    return (
        f"generator CPU {100 * gen / total:.1f}% of the machine, {100 * gen / ours:.1f}% of"
        f" server+generator; everything else on the machine {100 * others / total:.0f}%"
    )


def print_run(r: int, run: Run, kinds) -> None:
    closed = [f"floor {run.closed['floor'].rate:,.0f}/s"] + [
        f"{k} {run.closed[k].rate:,.0f}/s ({run.ratio(k):.2f})" for k in kinds[1:]
    ]
    line = f"run {r} ({run.load}): closed " + "; ".join(closed)
    if run.open:
        line += " | open " + "; ".join(
            f"{k} p50 {ms(o.latencies, 50)} p99 {ms(o.latencies, 99)} ms"
            for k, o in run.open.items()
        )
    errors = sum(m.errors for m in [*run.closed.values(), *run.open.values()])
    print(line + f" | errors {errors}")
    print(f"    {cpu_line(run, kinds)}")
    print(f"    {generator_share(run)}")
    if run.open:
        late = [x for o in run.open.values() for x in o.lateness]
        print(f"    open-loop sends behind schedule: p99 {ms(late, 99)} ms, max {max(late):.1f} ms")
    exhausted = sum(c.exhausted for c in run.closed.values())
    if exhausted:
        print(f"    {exhausted} connections ran out of codes (raise --max-rate); windows shortened")


def print_medians(runs: list[Run], kinds, args) -> None:
    print(f"\nmedians of {len(runs)} runs:")
    for kind in kinds:
        rates = [run.closed[kind].rate for run in runs]
        line = f"  {kind:<12} closed {statistics.median(rates):6,.0f}/s"
        if kind != "floor":
            ratios = [run.ratio(kind) for run in runs]
            ratio = statistics.median(ratios)
            line += (
                f"  ratio {ratio:.2f} (runs {', '.join(f'{x:.2f}' for x in ratios)};"
                f" target >= {TARGET_RATIO}: {'PASS' if ratio >= TARGET_RATIO else 'BELOW'})"
            )
        if all(kind in run.open for run in runs):
            p50 = statistics.median(percentile(run.open[kind].latencies, 50) for run in runs)
            p99s = [percentile(run.open[kind].latencies, 99) for run in runs]
            p99 = statistics.median(p99s)
            line += (
                f"  open {args.rate:g}/s p50 {p50:.1f} ms p99 {p99:.1f} ms (runs"
                f" {', '.join(f'{x:.1f}' for x in p99s)})"
            )
            if kind == "payments":
                line += (
                    f" target < {TARGET_P99_MS:.0f}: {'PASS' if p99 < TARGET_P99_MS else 'OVER'}"
                )
        py = statistics.median(run.closed[kind].per_request_ms()[0] for run in runs)
        pg = statistics.median(run.closed[kind].per_request_ms()[1] for run in runs)
        line += f"  CPU {py:.2f}+{pg:.2f} ms/req"
        print(line)


def figures(runs: list[Run], kinds) -> list[dict]:
    out = []
    for run in runs:
        entry = {"load": run.load, "closed": {}, "open": {}}
        for kind, c in run.closed.items():
            py, pg = c.per_request_ms()
            entry["closed"][kind] = {
                "rate": c.rate,
                "errors": c.errors,
                "answered": c.answered,
                "cpu_python_ms": py,
                "cpu_postgres_ms": pg,
                "generator_cpu_s": c.cpu.generator,
                "p50_ms": percentile(c.latencies, 50),
                "p99_ms": percentile(c.latencies, 99),
            }
        for kind, o in run.open.items():
            py, pg = o.per_request_ms()
            entry["open"][kind] = {
                "rate": o.rate,
                "errors": o.errors,
                "p50_ms": percentile(o.latencies, 50),
                "p99_ms": percentile(o.latencies, 99),
                "cpu_python_ms": py,
                "cpu_postgres_ms": pg,
            }
        out.append(entry)
    return out


if __name__ == "__main__":
    main()
