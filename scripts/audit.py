"""`make audit`: known vulnerabilities in the locked dependencies, from the first advisory source
this machine can reach, or a loud failure that says nothing was audited.

pip-audit asks one of three services about each pinned package: PyPI's per-release JSON
(``/pypi/<name>/<version>/json``), OSV (``api.osv.dev``, or a mirror of it given as OSV_URL),
or ecosyste.ms. Some networks (a registry mirror, an offline CI) reach none of them; pip-audit
then reports every package as "not found on PyPI", which reads like a packaging problem. This
script asks each service one question first, runs pip-audit against the first that answers,
and otherwise stops with exit code 3 and a plain message.

Exit codes: 0 audited, nothing known; 1 vulnerabilities found (always a failure); 2 usage;
3 no advisory source reachable (0 instead, with the same message, when
AUDIT_ALLOW_UNREACHABLE=1: for a CI that decided to live with that, never the default).

    python scripts/audit.py [REQUIREMENTS]   (default .data/audit-requirements.txt)

Environment: OSV_URL (an OSV-compatible /v1/query endpoint), PYPI_JSON_URL (default
https://pypi.org/pypi), ESMS_URL (probe only), AUDIT_TIMEOUT (seconds, default 10),
AUDIT_ALLOW_UNREACHABLE.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = ROOT / ".venv" / "bin" / "pip-audit"
TIMEOUT = float(os.environ.get("AUDIT_TIMEOUT", "10"))
PYPI_JSON_URL = os.environ.get("PYPI_JSON_URL", "https://pypi.org/pypi").rstrip("/")
OSV_URL = os.environ.get("OSV_URL", "https://api.osv.dev/v1/query")
ESMS_URL = os.environ.get("ESMS_URL", "https://advisories.ecosyste.ms/api/v1/advisories")


def _request(url: str, **kwargs) -> urllib.request.Request:
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"audit: not an http(s) URL: {url}")
    return urllib.request.Request(url, **kwargs)  # noqa: S310 - checked just above


def _answer(request: urllib.request.Request) -> str:
    """The HTTP status of the answer, or why there was none."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - built by _request
            return str(response.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"no answer ({reason})"


def _first_pin(requirements: Path) -> tuple[str, str]:
    for line in requirements.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", line)
        if match:
            return match[1], match[2]
    raise SystemExit(f"audit: no pinned requirement in {requirements}")


def probe(requirements: Path) -> tuple[list[str] | None, list[str]]:
    """pip-audit's service arguments for the first source that answers, and what each said."""
    name, version = _first_pin(requirements)
    notes = []
    pypi = _answer(_request(f"{PYPI_JSON_URL}/{name}/{version}/json"))
    notes.append(f"PyPI per-release JSON ({PYPI_JSON_URL}/{name}/{version}/json): {pypi}")
    if pypi == "200":
        return ["-s", "pypi"], notes
    query = json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version})
    osv = _answer(
        _request(OSV_URL, data=query.encode(), headers={"Content-Type": "application/json"})
    )
    notes.append(f"OSV ({OSV_URL}): {osv}")
    if osv == "200":
        return ["-s", "osv", "--osv-url", OSV_URL], notes
    esms_query = f"{ESMS_URL}?ecosystem=pypi&package_name={name}"
    esms = _answer(_request(esms_query))
    notes.append(f"ecosyste.ms ({esms_query}): {esms}")
    if esms == "200":
        return ["-s", "esms"], notes
    return None, notes


def main(argv: list[str]) -> int:
    requirements = Path(argv[1] if len(argv) > 1 else ROOT / ".data" / "audit-requirements.txt")
    if not requirements.exists():
        print(f"audit: {requirements} does not exist (make audit exports it from uv.lock)")
        return 2
    service, notes = probe(requirements)
    for note in notes:
        print(f"audit: {note}")
    if service is None:
        banner = "=" * 78
        print(
            f"{banner}\n"
            "audit: NO VULNERABILITY SOURCE IS REACHABLE FROM THIS MACHINE.\n"
            f"audit: The locked dependencies in {requirements.name} were NOT audited.\n"
            "audit: Run `make audit` where PyPI's JSON API or OSV answers, or point OSV_URL at\n"
            "audit: an OSV mirror.\n"
            f"{banner}"
        )
        if os.environ.get("AUDIT_ALLOW_UNREACHABLE") == "1":
            print("audit: AUDIT_ALLOW_UNREACHABLE=1: not failing for that (nothing was audited).")
            return 0
        return 3
    command = [
        str(PIP_AUDIT),
        "--strict",
        "--disable-pip",
        "--no-deps",
        "--progress-spinner",
        "off",
        "--timeout",
        str(int(TIMEOUT)),
        *service,
        "-r",
        str(requirements),
    ]
    print("audit: " + " ".join(command[1:]))
    return subprocess.run(command, check=False).returncode  # noqa: S603 - our own argv


if __name__ == "__main__":
    sys.exit(main(sys.argv))
