"""Sentry is on when SENTRY_DSN is set: its Django and Celery integrations, and every event
tagged with the city and the request id. Checked against a local stand-in for Sentry's ingest
endpoint, in a process of its own (Sentry's set-up is process-wide)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, django
django.setup()
import sentry_sdk
from django_tenants.utils import schema_context
from jeonju_prepay.observability import request_id_var

client = sentry_sdk.get_client()
print("active", client.is_active())
print("integrations", sorted(client.integrations))
with schema_context("jeonju"):
    request_id_var.set("req-0123456789")
    logging.getLogger("vouchers.services").error("the provider answered nonsense")
sentry_sdk.flush(5)
"""


class _Ingest(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        _Ingest.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_sentry_reports_an_error_log_with_the_city_and_request_id_and_no_personal_data():
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Ingest.received = []
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.test",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/42",
        "SENTRY_ENVIRONMENT": "drill",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert "active True" in result.stdout
    assert "'celery'" in result.stdout
    assert "'django'" in result.stdout
    events = []
    for envelope in _Ingest.received:
        for line in envelope.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and item.get("logentry"):
                events.append(item)
    assert len(events) == 1, _Ingest.received
    event = events[0]
    assert event["logentry"]["message"] == "the provider answered nonsense"
    assert event["tags"]["city"] == "jeonju"
    assert event["tags"]["request_id"] == "req-0123456789"
    assert event["environment"] == "drill"
    assert "user" not in event
