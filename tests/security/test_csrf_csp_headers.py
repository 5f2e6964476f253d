"""CSRF on every form, a Content-Security-Policy that inline code cannot pass, and the security
headers, on pages and API answers alike.

Two views of the same rules: the templates as written (every ``<form method="post">`` holds
``{% csrf_token %}``; no inline ``<script>``, ``on...=`` handler, ``javascript:`` URL, ``style=``
or ``<style>``), and the pages as served to the people who use them (the rendered HTML, which
includes allauth's templates, form widgets and the QR codes).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import CITY_HOST, CityClient

from .test_access_matrix import CITY_TABLE, _paths

ROOT = Path(settings.BASE_DIR)
APPS = ["accounts", "campaigns", "cities", "dashboard", "jeonju_prepay", "ledger", "merchants"]
APPS += ["rentals", "vouchers"]


def project_templates() -> list[Path]:
    found = list((ROOT / "templates").rglob("*.html"))
    for app in APPS:
        found += list((ROOT / app / "templates").rglob("*.html"))
    return sorted(found)


# --- What the templates say ----------------------------------------------------------------

FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
POST = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.I)
INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S),
    "htmx inline handler": re.compile(r"\shx-on\b", re.I),
    "javascript: URL": re.compile(r"javascript\s*:", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S),
}


def template_problems(text: str) -> list[str]:
    problems = []
    for form in FORM.finditer(text):
        if POST.search(form["attrs"]) and "{% csrf_token %}" not in form["body"]:
            problems.append(f"a POST form without {{% csrf_token %}}: {form[0][:80]!r}")
    for what, pattern in INLINE.items():
        problems += [f"{what}: {m[0][:80]!r}" for m in pattern.finditer(text)]
    return problems


def test_the_template_scanner_finds_what_it_looks_for():
    bad = (
        '<form method="post"><input name="a"></form>'
        "<script>alert(1)</script>"
        '<a href="javascript:go()" onclick="x()" style="color:red">x</a>'
        "<style>p{}</style>"
        '<button hx-on:click="x">y</button>'
    )
    assert len(template_problems(bad)) == 7
    good = '<form method="post">{% csrf_token %}</form><script src="/static/a.js" defer></script>'
    assert template_problems(good) == []


def test_every_template_has_csrf_tokens_and_no_inline_code():
    templates = project_templates()
    assert len(templates) > 50
    problems = [
        f"{p.relative_to(ROOT)}: {x}" for p in templates for x in template_problems(p.read_text())
    ]
    assert not problems, "\n".join(problems)


# --- What the pages serve --------------------------------------------------------------------


class PageScan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._form: list | None = None  # [attrs, has_token]
        self.post_forms = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = [attrs, False]
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self._form:
            self._form[1] = True
        if tag == "script":
            src = attrs.get("src")
            # A JSON data block (Django's json_script) is data: browsers never run it, so the
            # CSP's script-src does not apply. Anything else inline is code.
            if not src:
                if attrs.get("type") != "application/json":
                    self.problems.append("inline <script>")
            elif not src.startswith(settings.STATIC_URL):
                self.problems.append(f"a script from elsewhere: {src}")
        if tag == "style":
            self.problems.append("<style> block")
        for name, value in attrs.items():
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            attrs, has_token = self._form
            if (attrs.get("method") or "get").lower() == "post":
                self.post_forms += 1
                if not has_token:
                    self.problems.append(f"a POST form without a CSRF token: {attrs}")
            self._form = None


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp_problems(response) -> list[str]:
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        return ["no Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (x.strip() for x in policy.split(";")) if d}
    problems = []
    for name in ("script-src", "style-src", "default-src"):
        values = directives.get(name, directives.get("default-src", []))
        if any(
            v in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")
            for v in values
        ):
            problems.append(f"{name} {' '.join(values)}")
    for name, value in (
        ("object-src", "'none'"),
        ("frame-ancestors", "'none'"),
        ("base-uri", "'self'"),
    ):
        if directives.get(name) != [value]:
            problems.append(f"{name} is {directives.get(name)}")
    return problems


def header_problems(response) -> list[str]:
    problems = [
        f"{name}: {response.get(name)!r}"
        for name, value in SECURITY_HEADERS.items()
        if response.get(name) != value
    ]
    return problems + csp_problems(response)


def _allowed_persona(spec) -> str | None:
    for persona in ("citizen_a", "owner_x", "landlord", "staff", "clerk_x", "citizen_b"):
        if persona in spec.ok:
            return persona
    return "anonymous" if spec.anon == "ok" else None


ANONYMOUS_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/no-such-page/",
]


def test_every_page_as_served_has_csrf_tokens_no_inline_code_and_the_headers(world, caller):
    problems = []
    checked = forms = 0
    targets = [("anonymous", path) for path in ANONYMOUS_PAGES]
    for _name, spec, path in _paths(world, CITY_TABLE):
        persona = _allowed_persona(spec)
        if persona and not path.startswith("/api/"):
            targets.append((persona, path))
    targets += [("citizen_a", "/shops/review/"), ("citizen_b", f"/shops/{world.shop_x.pk}/")]
    for persona, path in targets:
        response = caller(persona)("GET", path)
        problems += [f"{persona} GET {path}: {p}" for p in header_problems(response)]
        if "text/html" not in response.get("Content-Type", ""):
            continue
        scan = PageScan()
        scan.feed(response.content.decode())
        problems += [f"{persona} GET {path}: {p}" for p in scan.problems]
        checked += 1
        forms += scan.post_forms
    assert not problems, "\n".join(problems)
    assert checked > 40
    assert forms > 40  # the language switch and sign-out alone are on every page


def test_the_api_answers_carry_the_headers(world, caller):
    problems = []
    for persona, method, path in [
        ("citizen_a", "GET", "/api/v1/wallet"),
        ("anonymous", "GET", "/api/v1/wallet"),
        ("citizen_b", "GET", f"/api/v1/wallet/charges/{world.charge_a.order_id}"),
        ("citizen_a", "POST", "/api/v1/wallet/charges"),
        ("citizen_a", "GET", "/api/v1/campaigns/1%00"),
        ("anonymous", "GET", "/api/schema/"),
        ("staff", "GET", "/api/v1/rentals/agreements"),
    ]:
        response = caller(persona)(method, path)
        problems += [f"{persona} {method} {path}: {p}" for p in header_problems(response)]
    assert not problems, "\n".join(problems)


# --- CSRF enforced ----------------------------------------------------------------------------


def _strict(world, persona):
    """A browser that does what a forged cross-site form would: no CSRF token."""
    client = CityClient(world.city, CITY_HOST, enforce_csrf_checks=True)
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def _forms(world):
    x = world.shop_x
    return [
        ("anonymous", "/accounts/login/", {"login": world.citizen_a.email, "password": "x"}),
        ("anonymous", "/accounts/signup/", {"email": "new@example.kr"}),
        ("citizen_a", "/accounts/logout/", {}),
        ("citizen_a", "/i18n/setlang/", {"language": "en"}),
        ("citizen_a", "/wallet/charge/", {"amount": "10000"}),
        ("citizen_a", f"/wallet/pay/{x.public_code}/", {"amount": "1000", "pin": "123456"}),
        ("citizen_a", "/wallet/pin/", {"pin": "111111", "password": "test-pass-1234"}),
        ("citizen_a", "/wallet/refund/", {"idempotency_key": "k"}),
        ("citizen_a", f"/campaigns/pledges/{world.pledge_a.pk}/cancel/", {}),
        ("citizen_a", "/shops/register/", {"name": "x"}),
        ("owner_x", f"/shops/{x.pk}/counter/bill/", {"code": "1", "amount": "1000"}),
        ("owner_x", f"/shops/{x.pk}/devices/", {"name": "new"}),
        ("owner_x", f"/rentals/agreements/{world.agreement.pk}/sign/", {}),
        ("staff", "/me/staff/new/", {"name": "x"}),
        ("staff", "/campaigns/manage/closed-shops/", {"form": "fund", "amount": "1000"}),
        ("staff", f"/shops/review/{x.pk}/", {"action": "close", "reason": "x"}),
    ]


def test_a_post_without_the_csrf_token_is_refused(world):
    from .world import money_snapshot

    before = money_snapshot()
    for persona, path, data in _forms(world):
        response = _strict(world, persona).post(path, data)
        assert response.status_code == 403, (persona, path, response.status_code)
    assert money_snapshot() == before
    world.shop_x.refresh_from_db()
    assert world.shop_x.status == "approved"


def test_the_same_post_with_the_token_is_accepted(world):
    """The control: the 403s above are the missing token's, not something else's."""
    for persona, path, data in _forms(world):
        client = _strict(world, persona)
        client.get("/")  # sets the csrftoken cookie, as the page with the form would
        token = client.cookies["csrftoken"].value
        response = client.post(path, {**data, "csrfmiddlewaretoken": token})
        assert response.status_code != 403, (persona, path)


def test_the_api_with_a_session_needs_the_csrf_token_and_with_a_token_does_not(world):
    client = _strict(world, "citizen_a")
    refused = client.post("/api/v1/wallet/payment-code", content_type="application/json")
    assert refused.status_code == 403
    client.get("/")
    csrf = client.cookies["csrftoken"].value
    ok = client.post(
        "/api/v1/wallet/payment-code",
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert ok.status_code == 201
    tokened = CityClient(world.city, CITY_HOST, enforce_csrf_checks=True)
    ok = tokened.post(
        "/api/v1/wallet/payment-code",
        content_type="application/json",
        headers={"Authorization": world.tokens["citizen_a"]},
    )
    assert ok.status_code == 201


@pytest.mark.parametrize("path", ["/", "/wallet/", "/api/v1/wallet"])
def test_pages_cannot_be_framed(world, caller, path):
    response = caller("citizen_a")("GET", path)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
