"""`make audit` (scripts/audit.py): audits against the first advisory source that answers, fails
when it finds a vulnerability, and fails loudly, never silently, when no source answers.

The sources are stood in for by a small OSV-compatible server on 127.0.0.1 (this machine reaches
no real one), which pip-audit itself queries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "http://127.0.0.1:9"  # discard port: nothing listens, the connection is refused

VULN = {
    "id": "GHSA-test-0001",
    "aliases": ["CVE-2099-0001"],
    "summary": "A made-up hole for the test",
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
        }
    ],
}


@pytest.fixture
def osv_server():
    """An OSV /v1/query endpoint that knows one vulnerability of django (when told to)."""
    state = {"vulnerable": False, "queries": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["queries"].append(query["package"]["name"])
            body = {}
            if state["vulnerable"] and query["package"]["name"] == "django":
                body = {"vulns": [VULN]}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/query", state
    finally:
        server.shutdown()
        server.server_close()


def _audit(tmp_path, **env):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("django==5.2.19\n    # via jeonju-prepay\nsegno==1.6.6\n")
    environ = {
        **os.environ,
        "PYPI_JSON_URL": f"{CLOSED}/pypi",
        "OSV_URL": f"{CLOSED}/v1/query",
        "ESMS_URL": f"{CLOSED}/api",
        "AUDIT_TIMEOUT": "5",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        **env,
    }
    if "AUDIT_ALLOW_UNREACHABLE" not in env:
        environ.pop("AUDIT_ALLOW_UNREACHABLE", None)
    return subprocess.run(
        [sys.executable, "scripts/audit.py", str(requirements)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_reachable_source_fails_loudly(tmp_path):
    result = _audit(tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "NO VULNERABILITY SOURCE IS REACHABLE" in result.stdout
    assert "were NOT audited" in result.stdout


def test_a_ci_may_choose_to_live_with_no_source_but_still_hears_it(tmp_path):
    result = _audit(tmp_path, AUDIT_ALLOW_UNREACHABLE="1")
    assert result.returncode == 0
    assert "were NOT audited" in result.stdout


def test_an_osv_source_is_used_and_a_clean_lock_passes(tmp_path, osv_server):
    url, state = osv_server
    result = _audit(tmp_path, OSV_URL=url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(state["queries"]) == ["django", "django", "segno"]  # the probe, then pip-audit
    assert "No known vulnerabilities found" in result.stdout + result.stderr


def test_a_known_vulnerability_fails_the_audit(tmp_path, osv_server):
    url, state = osv_server
    state["vulnerable"] = True
    result = _audit(tmp_path, OSV_URL=url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CVE-2099-0001" in result.stdout  # pip-audit names the CVE alias
    # Even a CI that lives with an unreachable source fails on a vulnerability.
    result = _audit(tmp_path, OSV_URL=url, AUDIT_ALLOW_UNREACHABLE="1")
    assert result.returncode == 1
