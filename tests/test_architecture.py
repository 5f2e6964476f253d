"""The shape of the code, held by tests: layers that only point down, the ledger behind its
interface (docs/architecture.md draws both).

These read the source, not the database: a new import that points up the layers, or a new line
of SQL that names a ledger table outside ``ledger/``, fails here before review.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each app and the apps it may import, lowest layer first. An app not listed fails the test:
# placing a new app is a decision to write down here (and in docs/architecture.md).
BASE = {"jeonju_prepay"}
MAY_IMPORT: dict[str, set[str]] = {
    # The base: tenancy, people, the ledger, messages, places. No domain app.
    "cities": BASE,
    "accounts": BASE,
    "ledger": BASE,
    "messaging": BASE | {"accounts"},
    "districts": BASE,
    # Domain apps: shops first; the wallet uses shops; campaigns use both.
    "merchants": BASE | {"cities", "accounts", "ledger", "districts"},
    "vouchers": BASE | {"cities", "accounts", "ledger", "messaging", "districts", "merchants"},
    "campaigns": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"},
    "rentals": BASE | {"cities", "accounts", "ledger", "messaging", "districts", "merchants"},
    # Grants pay into the wallet's grant balance; the wallet spends it through its SQL hook.
    "grants": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"},
    # Cards, paper notes and desks: other forms of the wallet's money, on the wallet's rules.
    "cards": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"},
    "workplaces": BASE | {"cities", "accounts", "ledger", "messaging", "districts", "merchants"},
    # Charge day sells wallet charges at a tranche's terms.
    "sales": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"},
    # The counter uses the programmes a shop takes payment for.
    "counter": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"}
    | {"campaigns", "cards"},
    # The nightly run and the city's operations over every programme.
    "operations": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"}
    | {"campaigns", "rentals", "counter", "cards", "grants"},
    # Reporting reads everything below it and changes no money.
    "dashboard": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"}
    | {"campaigns", "rentals", "counter", "operations", "cards", "grants"},
    # Gifts, donations, relays and statements use the wallet, campaigns and shops, and take
    # part in the nightly run through its registry (as the dashboard does).
    "solidarity": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"}
    | {"campaigns", "operations"},
    # Cash-out detection watches the programmes, holds and suspends shops, claws incentive
    # back; it registers a nightly step, so it sits above operations, beside the dashboard.
    "fraud": BASE
    | {"cities", "accounts", "ledger", "messaging", "districts", "merchants", "vouchers"}
    | {"campaigns", "rentals", "counter", "operations", "cards", "grants"},
}
DOMAIN = {"merchants", "vouchers", "campaigns", "rentals", "workplaces", "grants"}
# The project package wires everything together (settings, URLs, metrics); its helpers below
# are the base every app uses, and import no app themselves.
PROJECT_HELPERS = ("db.py", "exceptions.py", "sql.py", "formatting.py", "korean.py", "http.py")


def _apps() -> set[str]:
    return {p.name for p in ROOT.iterdir() if (p / "apps.py").exists()} | {"jeonju_prepay"}


def _sources(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported_apps(path: Path, apps: set[str]) -> set[str]:
    """The apps ``path`` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & apps
    return found


def test_every_app_has_its_place_in_the_layers():
    apps = _apps() - {"jeonju_prepay"}
    assert apps <= set(MAY_IMPORT), f"place these apps in MAY_IMPORT: {apps - set(MAY_IMPORT)}"


@pytest.mark.parametrize("app", sorted(MAY_IMPORT))
def test_imports_point_down_the_layers(app):
    apps = _apps()
    allowed = MAY_IMPORT[app] | {app}
    upward = {}
    for path in _sources(app):
        wrong = _imported_apps(path, apps) - allowed
        if wrong:
            upward[str(path.relative_to(ROOT))] = sorted(wrong)
    assert not upward, f"{app} imports apps above it: {upward}"


def test_the_rules_the_issue_named_hold():
    """Spelled out, so loosening MAY_IMPORT cannot quietly undo them."""
    for base in ("ledger", "accounts"):
        assert not MAY_IMPORT[base] & DOMAIN
    assert not MAY_IMPORT["merchants"] & {"vouchers", "campaigns"}
    assert all("dashboard" not in MAY_IMPORT[app] for app in DOMAIN | {"operations"})


def test_the_project_helpers_import_no_app():
    apps = _apps() - {"jeonju_prepay"}
    for name in PROJECT_HELPERS:
        path = ROOT / "jeonju_prepay" / name
        if path.exists():
            assert not _imported_apps(path, apps), f"jeonju_prepay/{name} imports an app"


# --- The ledger's tables are its own -------------------------------------------------------------

# The ledger's tables: only ledger/ names them. Others read the views (ledger_accounts,
# ledger_entries, ledger_postings) and write through ledger.services or the SQL functions of
# ledger/sql/ (ledger_post, ledger_accounts_create, the lock and budget helpers, ledger_bulk_*).
LEDGER_TABLE = re.compile(
    r"\bledger_(account|entry|posting|idempotencyrecord)\b"
    r"(?!\s*\()",  # a function of the same name is the interface, not the table
    re.IGNORECASE,
)
# Migrations keep the history of how the tables were made; bench/ measures the tables
# themselves (and is outside the application).
NOT_CHECKED = {"migrations", "tests", "bench", ".venv", "node_modules", "static", "locale"}


def _code_files():
    for path in sorted(ROOT.rglob("*")):
        if path.suffix not in (".py", ".sql") or not path.is_file():
            continue
        parts = set(path.relative_to(ROOT).parts)
        if parts & NOT_CHECKED or path.relative_to(ROOT).parts[0] in ("ledger", ".git", ".data"):
            continue
        yield path


def test_no_module_outside_the_ledger_names_a_ledger_table():
    offenders = []
    for path in _code_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LEDGER_TABLE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "ledger tables named outside ledger/:\n" + "\n".join(offenders)


def test_the_table_check_would_catch_a_table_name():
    """The pattern is not vacuous: it finds a table and lets the interface through."""
    assert LEDGER_TABLE.search("SELECT balance FROM ledger_account WHERE id = %s")
    assert LEDGER_TABLE.search("UPDATE LEDGER_POSTING SET amount = 0")
    assert not LEDGER_TABLE.search("SELECT balance FROM ledger_accounts WHERE id = %s")
    assert not LEDGER_TABLE.search("SELECT * FROM ledger_postings")
