"""The business figures on the metrics page (``/metrics``, jeonju_prepay/metrics.py), read from
each city's schema when Prometheus scrapes, so that no money path does any metrics work and the
figures are right whichever gunicorn worker answers.

Per city, a handful of small indexed queries (kept for ``METRICS_CACHE_SECONDS`` per process):

- ``jp_payments_total`` / ``jp_payments_won_total``: wallet payments of the business day
  (``vouchers.selectors.payment_totals_on``); counters that start again at midnight Asia/Seoul,
  which Prometheus's ``rate()`` and ``increase()`` treat as a counter reset, so
  ``rate(jp_payments_total[5m]) * 60`` is payments per minute.
- ``jp_ledger_entries_total`` / ``jp_ledger_entries_won_total`` by entry kind: the same for every
  kind of ledger entry (charges are ``kind="charge"``).
- ``jp_incentive_budget_left_won`` and ``jp_system_balance_won`` by kind: stored balances of the
  ownerless accounts.
- ``jp_nightly_step_*``: each step's latest run (duration, whether it ended well, its business
  date and when it finished), from ``operations.JobRun``.
- ``jp_celery_queue_length``: messages waiting in the broker (Redis lists), not per city.
- ``jp_metrics_city_up``: 0 when a city's figures could not be read (the rest still are).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from datetime import time as dtime

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger(__name__)

STEP_OK = {"succeeded", "nothing_to_do"}


def _day_start_epoch(day) -> float:
    return timezone.make_aware(datetime.combine(day, dtime.min)).timestamp()


class BusinessCollector:
    """A prometheus_client collector. ``describe`` is empty so that registering it reads
    nothing; ``collect`` reads every active city (or serves the cached families)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._cached_at = 0.0
        self._families: list = []

    def describe(self):
        return []

    def clear(self) -> None:
        with self._lock:
            self._cached_at = 0.0
            self._families = []

    def collect(self):
        ttl = getattr(settings, "METRICS_CACHE_SECONDS", 10)
        with self._lock:
            now = time.monotonic()
            if not self._families or now - self._cached_at >= ttl:
                self._families = self._read()
                self._cached_at = time.monotonic()
            families = list(self._families)
        yield from families

    # --- reading ------------------------------------------------------------------------------

    def _read(self) -> list:
        from ledger.selectors import entries_by_kind_on, system_balances
        from vouchers.selectors import payment_totals_on

        from .selectors import nightly_latest_steps

        today = timezone.localdate()
        day_start = _day_start_epoch(today)
        payments = CounterMetricFamily(
            "jp_payments",
            "Wallet payments of the business day (restarts at midnight Asia/Seoul).",
            labels=["city"],
        )
        payments_won = CounterMetricFamily(
            "jp_payments_won",
            "Won paid from wallets in the business day (restarts at midnight Asia/Seoul).",
            labels=["city"],
        )
        entries = CounterMetricFamily(
            "jp_ledger_entries",
            "Ledger entries of the business day by kind (charge, payment, refund ...).",
            labels=["city", "kind"],
        )
        entries_won = CounterMetricFamily(
            "jp_ledger_entries_won",
            "Won moved by the business day's ledger entries by kind (sum of positive postings).",
            labels=["city", "kind"],
        )
        budget = GaugeMetricFamily(
            "jp_incentive_budget_left_won",
            "Incentive budget left (all shards), won.",
            labels=["city"],
        )
        system = GaugeMetricFamily(
            "jp_system_balance_won",
            "Stored balance of the city's system accounts by kind (float and outside_world are"
            " negative: money that came in).",
            labels=["city", "kind"],
        )
        step_seconds = GaugeMetricFamily(
            "jp_nightly_step_duration_seconds",
            "Duration of the latest run of each nightly step.",
            labels=["city", "step"],
        )
        step_ok = GaugeMetricFamily(
            "jp_nightly_step_ok",
            "1 when the latest run of the step succeeded or had nothing to do, else 0.",
            labels=["city", "step", "status"],
        )
        step_date = GaugeMetricFamily(
            "jp_nightly_step_business_date_timestamp_seconds",
            "Start (Asia/Seoul) of the business date the step last ran for.",
            labels=["city", "step"],
        )
        step_finished = GaugeMetricFamily(
            "jp_nightly_step_finished_timestamp_seconds",
            "When the latest run of the step finished.",
            labels=["city", "step"],
        )
        city_up = GaugeMetricFamily(
            "jp_metrics_city_up", "1 when the city's figures were read.", labels=["city"]
        )
        database_up = GaugeMetricFamily(
            "jp_metrics_database_up", "1 when the list of cities could be read."
        )
        try:
            with schema_context(get_public_schema_name()):
                cities = list(
                    get_tenant_model()
                    .objects.exclude(schema_name=get_public_schema_name())
                    .filter(is_active=True)
                    .order_by("schema_name")
                    .values_list("schema_name", flat=True)
                )
        except Exception:  # the page still shows the counted figures and says why not these
            logger.exception("metrics: could not list the cities")
            cities = []
            database_up.add_metric([], 0)
        else:
            database_up.add_metric([], 1)
        for city in cities:
            try:
                with schema_context(city):
                    count, won = payment_totals_on(today)
                    by_kind = entries_by_kind_on(today)
                    balances = system_balances()
                    steps = nightly_latest_steps()
            except Exception:  # one city's trouble must not hide the others' figures
                logger.exception("metrics: could not read city %s", city)
                city_up.add_metric([city], 0)
                continue
            city_up.add_metric([city], 1)
            payments.add_metric([city], count, created=day_start)
            payments_won.add_metric([city], won, created=day_start)
            for kind, (n, moved) in sorted(by_kind.items()):
                entries.add_metric([city, kind], n, created=day_start)
                entries_won.add_metric([city, kind], moved, created=day_start)
            budget.add_metric([city], balances.get("incentive_budget", 0))
            for kind, balance in sorted(balances.items()):
                system.add_metric([city, kind], balance)
            for step in steps:
                if step.seconds is not None:
                    step_seconds.add_metric([city, step.step], step.seconds)
                step_ok.add_metric([city, step.step, step.status], int(step.status in STEP_OK))
                step_date.add_metric([city, step.step], _day_start_epoch(step.business_date))
                if step.finished_at is not None:
                    step_finished.add_metric([city, step.step], step.finished_at.timestamp())
        families = [
            payments,
            payments_won,
            entries,
            entries_won,
            budget,
            system,
            step_seconds,
            step_ok,
            step_date,
            step_finished,
            city_up,
            database_up,
        ]
        queue = _celery_queue_lengths()
        if queue is not None:
            families.append(queue)
        return families


def _celery_queue_lengths():
    """Messages waiting per queue in Redis (kombu keeps a list per queue and priority step:
    ``celery``, ``celery\\x06\\x163`` ...), or None without a broker."""
    if not settings.REDIS_URL:
        return None
    import redis

    family = GaugeMetricFamily(
        "jp_celery_queue_length", "Tasks waiting in the broker, by queue.", labels=["queue"]
    )
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    names = [queue] + [f"{queue}\x06\x16{p}" for p in (1, 2, 3, 4, 5, 6, 7, 8, 9)]
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1
        )
        pipe = client.pipeline()
        for name in names:
            pipe.llen(name)
        waiting = sum(int(n) for n in pipe.execute())
    except Exception:  # the broker down is what the alert is for, not a broken page
        logger.warning("metrics: the broker did not answer")
        return family  # no sample: absent(jp_celery_queue_length) fires the alert
    family.add_metric([queue], waiting)
    return family


COLLECTOR = BusinessCollector()
