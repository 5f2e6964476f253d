"""How gunicorn serves the app: read by every gunicorn started from the project's directory
(the Dockerfile, docker-compose, `make run`, bench/counter_bench.py); options given on the
command line win.

Sync workers, (2 x cores) + 1 of them, as gunicorn's documentation advises for an application
whose requests are short and spend their time in Python and PostgreSQL. A counter payment is
such a request. Threads inside a worker share one GIL, and a keep-alive connection stays with
the worker that accepted it, so with 4 workers x 4 threads a payment's wait depended on which
worker its counter happened to be on. Sync workers take the next connection off one queue when
they are free. Measured with bench/counter_bench.py (docs/benchmarks.md): the same throughput
and half the p99 latency (payments 90 ms against 175 ms at 16 clients on 2 cores).

A sync worker is busy for as long as its client takes to send the request and read the
response, so it must sit behind a buffering proxy (docker-compose's nginx). The proxy keeps
the browsers' connections alive; gunicorn does not.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

wsgi_app = "jeonju_prepay.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
# A request that runs longer than this is killed and its worker replaced; PostgreSQL rolls back
# the transaction it had open.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# The access log (when enabled, e.g. --access-logfile -) names the host (the city) and the
# request id the app sent back, so a line here finds its lines in the app's log.
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(b)s %(M)sms host=%({host}i)s request_id=%({x-request-id}o)s'
)

# Request metrics are counted in each worker; prometheus_client's multiprocess mode keeps them in
# files under this directory and /metrics sums every worker's (jeonju_prepay/metrics.py). Set in
# the master before the workers fork, emptied when gunicorn starts, a dead worker's gauges
# dropped when it exits.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"jp-prometheus-{os.getpid()}")
)


def on_starting(server):
    path = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def on_exit(server):
    if Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).name.startswith("jp-prometheus-"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
