"""Accessibility (KWCAG 2.2 / WCAG 2.1 AA) of every page, for every role, in Korean and English,
on a desktop (1280 px) and a phone (390 px), checked by axe-core in Chromium.

The pages come from the URL configuration itself: ``test_every_page_is_checked_or_excused``
fails when a URL has neither a row in ``PAGES`` (who opens it, with which objects) nor an entry
in ``EXCUSED`` saying why it is not a page. A new page therefore fails the suite until it is
listed, and then it is checked.

The run: one Chromium, one browser context per role and language (the role's session cookie and
the language cookie), one tab that loads each of the role's pages once and runs axe at 1280 px,
then again at 390 px after resizing (no reload). No serious or critical violation may remain;
moderate and minor ones are reported. The totals are printed (``-s`` not needed) so that they
can be quoted.

axe-core is pinned in package.json and vendored by ``make vendor`` into tests/browser/vendor/
(a test tool: never served by the app). It is injected with an init script, which the pages'
Content-Security-Policy does not apply to.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, chromium_required

AXE_JS = Path(__file__).with_name("vendor") / "axe.min.js"
ROLES = ("anonymous", "citizen", "owner", "clerk", "landlord", "staff")
LANGUAGES = ("ko", "en")
WIDTHS = (1280, 390)
BLOCKING = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")


@dataclass(frozen=True)
class Visit:
    """One role opens the page; ``kwargs(world)`` fills the URL's arguments; ``platform``: on the
    platform host (public schema) rather than the city's."""

    role: str
    kwargs: Callable | None = None
    platform: bool = False
    query: str = ""
    status: int = 200


def everyone(kwargs=None, *, anonymous=True) -> tuple[Visit, ...]:
    roles = ROLES if anonymous else ROLES[1:]
    return tuple(Visit(role, kwargs) for role in roles)


def by(*roles, kwargs=None, query="") -> tuple[Visit, ...]:
    return tuple(Visit(role, kwargs, query=query) for role in roles)


shop = lambda w: {"shop_id": w.shop.pk}  # noqa: E731
campaign = lambda w: {"campaign_id": w.campaign.pk}  # noqa: E731
lease = lambda w: {"lease_id": w.lease.pk}  # noqa: E731
proposed = lambda w: {"agreement_id": w.proposed.pk}  # noqa: E731
verified = lambda w: {"agreement_id": w.verified.pk}  # noqa: E731
workplace = lambda w: {"workplace_id": w.workplace.pk}  # noqa: E731
declaration = lambda w: {"declaration_id": w.declaration.pk}  # noqa: E731

# Who opens each page. Every role opens the pages every role may see (home, profile, sign-in
# pages); objects are those of ``a11y_world``.
PAGES: dict[str, tuple[Visit, ...]] = {
    # --- No app, accounts, allauth ------------------------------------------------------
    "home": everyone(),
    "platform-home": (Visit("anonymous", platform=True),),
    "admin:login": (Visit("anonymous", platform=True),),
    "accounts:profile": everyone(anonymous=False),
    "accounts:staff-new": by("staff"),
    "account_login": by("anonymous"),
    "account_signup": by("anonymous"),
    "account_reset_password": by("anonymous"),
    "account_reset_password_done": by("anonymous"),
    "account_reset_password_from_key_done": by("anonymous"),
    "account_inactive": by("anonymous"),
    "account_email_verification_sent": by("anonymous"),
    "account_logout": by("citizen"),
    "account_change_password": by("citizen"),
    "account_email": by("citizen"),
    "account_reauthenticate": by("citizen"),
    "socialaccount_connections": by("citizen"),
    "socialaccount_login_cancelled": by("anonymous"),
    "socialaccount_login_error": (Visit("anonymous", status=401),),  # allauth answers 401
    # --- merchants ------------------------------------------------------------------------
    "merchants:shop-list": by("citizen", "owner", "clerk"),
    "merchants:shop-register": by("citizen"),
    "counter:counter-home": by("citizen"),  # one shop: owners and clerks go straight to it
    "merchants:invitation-accept": by("citizen", kwargs=lambda w: {"token": w.invitation_token}),
    "merchants:review-list": by("staff"),
    "merchants:policy": by("staff"),
    "merchants:shop-payment-policy": by("staff"),
    "merchants:shop-pay": by("owner", kwargs=shop),
    "merchants:review-detail": by("staff", kwargs=lambda w: {"shop_id": w.pending_shop.pk}),
    "merchants:shop-detail": by("owner", "clerk", kwargs=shop),
    "merchants:shop-edit": by("owner", kwargs=shop),
    "merchants:devices": by("owner", "clerk", kwargs=shop),
    "merchants:clerks": by("owner", kwargs=shop),
    "merchants:statements": by("owner", kwargs=shop),
    "counter:counter": by("owner", "clerk", kwargs=shop),
    # --- vouchers -------------------------------------------------------------------------
    "counter:counter-card": by("owner", "clerk", kwargs=shop),
    "counter:counter-note": by("owner", "clerk", kwargs=shop),
    # --- cards ----------------------------------------------------------------------------
    "cards:mine": by("citizen"),
    "cards:desk-home": by("staff"),
    "cards:desk": by("staff", kwargs=lambda w: {"desk_id": w.desk.pk}),
    "cards:desk-citizen": by(
        "staff", kwargs=lambda w: {"desk_id": w.desk.pk, "user_id": w.desk_citizen.pk}
    ),
    "cards:desk-receipt": by(
        "staff", kwargs=lambda w: {"desk_id": w.desk.pk, "charge_id": w.desk_charge_id}
    ),
    "cards:desk-close": by("staff", kwargs=lambda w: {"desk_id": w.desk.pk}),
    "cards:batches": by("staff"),
    "cards:batch-sheet": by("staff", kwargs=lambda w: {"batch_id": w.batch.pk}),
    "vouchers:wallet": by("citizen"),
    "vouchers:history": by("citizen"),
    "vouchers:charge": by("citizen"),
    "vouchers:charge-done": by("citizen", kwargs=lambda w: {"order_id": w.failed_charge.order_id})
    + by("citizen", kwargs=lambda w: {"order_id": w.charge.order_id})
    + by("citizen", kwargs=lambda w: {"order_id": w.waiting_charge.order_id}),
    "vouchers:code": by("citizen"),
    "vouchers:pay-shop": by("citizen", kwargs=lambda w: {"public_code": w.shop.public_code}),
    "vouchers:payment-done": by("citizen", kwargs=lambda w: {"payment_id": w.payment.pk}),
    "vouchers:pin": by("citizen"),
    "vouchers:policy": by("staff"),
    "sandbox_pg:checkout": by("citizen", kwargs=lambda w: {"order_id": w.failed_charge.order_id}),
    # --- campaigns ------------------------------------------------------------------------
    "campaigns:campaign-list": by("citizen", "owner", "staff"),
    "campaigns:pledge-list": by("citizen"),
    # A card pledge paid, and one still waiting for its card payment.
    "campaigns:pledge-done": by("citizen", kwargs=lambda w: {"pledge_id": w.card_pledge.pk})
    + by("citizen", kwargs=lambda w: {"pledge_id": w.waiting_pledge.pk}),
    "campaigns:prepaid-history": by("citizen", kwargs=shop),
    "campaigns:manage": by("staff"),
    "campaigns:closed-shops": by("staff"),
    "campaigns:manage-detail": by("staff", kwargs=campaign),
    # The 404 page: a campaign that does not exist.
    "campaigns:campaign-detail": (
        *by("citizen", kwargs=campaign),
        Visit("citizen", lambda w: {"campaign_id": 999999}, status=404),
    ),
    "campaigns:shop-join": by("owner", kwargs=campaign),
    "campaigns:pledge-new": by(
        "citizen", kwargs=lambda w: {"campaign_id": w.campaign.pk, "shop_id": w.shop.pk}
    ),
    # --- sales (charge days) ----------------------------------------------------------------
    "sales:list": by("citizen"),
    "sales:join": by("citizen", kwargs=lambda w: {"sale_id": w.lottery.pk}),
    "sales:ticket": by("citizen", kwargs=lambda w: {"sale_id": w.sale.pk}),
    "sales:draw": by("citizen", "staff", kwargs=lambda w: {"sale_id": w.lottery.pk}),
    "sales:staff-list": by("staff"),
    "sales:staff-detail": by("staff", kwargs=lambda w: {"sale_id": w.sale.pk}),
    # --- rentals --------------------------------------------------------------------------
    "rentals:home": by("landlord", "owner"),
    "rentals:property-create": by("landlord"),
    "rentals:lease-create": by("landlord", kwargs=lambda w: {"property_id": w.property.pk}),
    "rentals:lease-detail": by("landlord", kwargs=lease),
    "rentals:lease-change": by("landlord", kwargs=lease),
    "rentals:agreement-propose": by("landlord", kwargs=lease),
    "rentals:agreement-detail": by("landlord", "owner", "staff", kwargs=proposed)
    + by("staff", kwargs=verified),
    "rentals:agreement-edit": by("landlord", kwargs=proposed),
    "rentals:agreement-print": by("landlord", kwargs=verified),
    "rentals:agreement-certificate": by("landlord", kwargs=verified),
    "rentals:staff-list": by("staff"),
    "rentals:report": by("staff"),
    "rentals:policy": by("staff"),
    # --- workplaces ------------------------------------------------------------------------
    "workplaces:list": everyone(),
    "workplaces:home": by("owner", "citizen"),
    "workplaces:register": by("owner"),
    "workplaces:detail": by("owner", kwargs=workplace),
    "workplaces:worker-report": by("citizen", kwargs=workplace),
    "workplaces:declaration": by("citizen", "owner", "staff", kwargs=declaration),
    "workplaces:help": by("citizen"),
    "workplaces:staff": by("staff"),
    "workplaces:round-create": by("staff"),
    "workplaces:case": by("staff", kwargs=lambda w: {"case_id": w.case.pk}),
    "workplaces:import": by("staff"),
    "workplaces:help-match": by("staff", kwargs=lambda w: {"request_id": w.help_request.pk}),
    # --- grants ---------------------------------------------------------------------------
    "grants:home": by("citizen", "staff"),
    "grants:apply": by("citizen", kwargs=lambda w: {"pk": w.grant_programme.pk}),
    "grants:application": by("citizen", kwargs=lambda w: {"pk": w.grant_application.pk}),
    "grants:staff-home": by("staff"),
    "grants:staff-programme-new": by("staff"),
    "grants:staff-programme": by("staff", kwargs=lambda w: {"pk": w.grant_programme.pk}),
    "grants:staff-application": by("staff", kwargs=lambda w: {"pk": w.grant_application.pk}),
    # --- dashboard, districts ------------------------------------------------------------
    # The 403 page: a citizen on the staff's dashboard.
    "dashboard:home": (*by("staff"), Visit("citizen", status=403)),
    "dashboard:shops": by("staff"),
    "operations:operations": by("staff"),
    "fraud:queue": by("staff"),
    "fraud:thresholds": by("staff"),
    "fraud:case": by("staff", kwargs=lambda w: {"case_id": w.fraud_case.pk}),
    "districts:list": by("staff"),
    # --- accounts by phone, consents, messages ---------------------------------------------
    "accounts-phone:start": by("anonymous"),
    "accounts-phone:consent-texts": by("anonymous"),
    "accounts:consents": by("citizen"),
    # --- solidarity -------------------------------------------------------------------------
    "solidarity:home": by("citizen"),
    "solidarity:gifts": by("citizen"),
    "solidarity:donations": by("citizen"),
    "solidarity:fund": by("anonymous", "citizen"),
    "solidarity:fund-manage": by("staff"),
    "solidarity:angel-shop": by("owner", kwargs=shop),
    "solidarity:statement": by("citizen", kwargs=lambda w: {"year": 2026}),
    "solidarity:city-statement": by("staff", kwargs=lambda w: {"year": 2026}),
    "solidarity:relay": by("citizen", kwargs=campaign),
}

# URLs that are not pages a person reads, each with the reason.
POST_ONLY = "takes a form's POST and redirects: its page is the one the form is on"
EXCUSED: dict[str, str] = {
    "healthz": "JSON health check for the load balancer",
    "set_language": POST_ONLY,
    "grants:staff-programme-action": POST_ONLY,
    "grants:document": "a private file (PDF or image) for its applicant and grant staff",
    "api-schema": "OpenAPI document (YAML)",
    "account_request_reauthentication_code": "off: login by code is not enabled",
    "account_confirm_reauthentication_code": "off: login by code is not enabled",
    "account_confirm_login_code": "off: login by code is not enabled",
    "account_set_password": "redirects: every account has a password",
    "account_confirm_email": "email verification is off (ACCOUNT_EMAIL_VERIFICATION=none)",
    "account_reset_password_from_key": "needs a reset key from an email",
    "socialaccount_signup": "needs a provider's sign-in in progress (Kakao/Naver keys unset)",
    "kakao_login": "redirects to Kakao (off until keys are set)",
    "kakao_callback": "Kakao's redirect back",
    "naver_login": "redirects to Naver (off until keys are set)",
    "naver_callback": "Naver's redirect back",
    "accounts/social/login/cancelled/": "allauth's old address: redirects to 3rdparty/",
    "accounts/social/login/error/": "allauth's old address: redirects to 3rdparty/",
    "accounts/social/signup/": "allauth's old address: redirects to 3rdparty/",
    "accounts/social/connections/": "allauth's old address: redirects to 3rdparty/",
    "merchants:shop-resubmit": POST_ONLY,
    "merchants:shop-qr": "an SVG image (the shop's QR), shown inside the shop page",
    "merchants:device-revoke": POST_ONLY,
    "merchants:clerk-remove": POST_ONLY,
    "merchants:statement-csv": "a CSV download",
    "counter:counter-identify": POST_ONLY + " (htmx fragment)",
    "counter:counter-bill": POST_ONLY + " (htmx fragment)",
    "counter:counter-recent": "htmx fragment inside the counter page (checked there)",
    "counter:counter-payment-cancel": POST_ONLY,
    "counter:counter-redemption-cancel": POST_ONLY,
    "vouchers:charge-cancel": POST_ONLY,
    "cards:card-block": POST_ONLY,
    "cards:desk-account-new": POST_ONLY,
    "cards:desk-card-issue": POST_ONLY,
    "cards:desk-charge": POST_ONLY,
    "cards:desk-notes-sell": POST_ONLY,
    "cards:desk-card-block": POST_ONLY,
    "cards:desk-card-replace": POST_ONLY,
    "cards:batch-cancel": POST_ONLY,
    "sales:ticket-pay": POST_ONLY,
    "sales:staff-action": POST_ONLY,
    "sales:ticket-status": "htmx fragment inside the ticket page (checked there)",
    "sales:staff-figures": "htmx fragment inside the sale's staff page (checked there)",
    "vouchers:code-new": "htmx fragment inside the code page (checked there)",
    "vouchers:code-status": "htmx fragment polled by the code page (204 until the code is used)",
    "vouchers:refund": POST_ONLY,
    "solidarity:gift-cancel": POST_ONLY,
    "solidarity:relay-join": POST_ONLY,
    "solidarity:relay-tree": "htmx fragment inside the relay and campaign pages (checked there)",
    "solidarity:donation-receipt": "a PDF download",
    "vouchers:policy-override": POST_ONLY,
    "vouchers:policy-override-withdraw": POST_ONLY,
    "vouchers:policy-budget": POST_ONLY,
    "sandbox_pg:api-approve": "the sandbox provider's JSON call",
    "campaigns:organisation-join": POST_ONLY,
    "campaigns:pledge-cancel": POST_ONLY,
    "rentals:agreement-reliefs": POST_ONLY,
    "rentals:agreement-sign": POST_ONLY,
    "rentals:agreement-decline": POST_ONLY,
    "rentals:agreement-verify": POST_ONLY,
    "rentals:agreement-reject": POST_ONLY,
    "rentals:report-csv": "a CSV download",
    "dashboard:export": "a CSV or Excel download",
    "operations:run": POST_ONLY,
    "operations:transfer-file-csv": "a CSV download (the bank's transfer file)",
    "vouchers:discrepancy-resolve": POST_ONLY,
    "districts:toggle": POST_ONLY,
    "workplaces:pledge": POST_ONLY,
    "workplaces:report": POST_ONLY,
    "workplaces:evidence-upload": POST_ONLY,
    "workplaces:openings": POST_ONLY,
    "workplaces:declaration-verify": POST_ONLY,
    "workplaces:declaration-reject": POST_ONLY,
    "workplaces:round-publish": POST_ONLY,
    "workplaces:round-fund": POST_ONLY,
    "workplaces:month-run": POST_ONLY,
    "workplaces:tax-deferral": POST_ONLY,
    "workplaces:clawback-repay": POST_ONLY,
    "workplaces:evidence-open": "a private file download (each opening logged)",
    "bench-floor": "benchmark endpoint, off unless BENCH_ENDPOINTS",
    "messaging:sandbox-outbox": "the sandbox provider's outbox: development only (make run)",
    "accounts-phone:code": "the code step: reached only with a code just sent (the phone test)",
    "vouchers_toss:checkout": "Toss's payment window (only for a charge through Toss)",
    "vouchers_toss:success": "Toss's redirect back: confirms, then redirects",
    "vouchers_toss:fail": "Toss's redirect back: records the failure, then redirects",
    "vouchers_toss:webhook": "Toss's server-to-server webhook (JSON)",
    "vouchers_toss:api-confirm": "the JSON confirm for app clients",
}
# Whole groups of URLs that are not pages of this app.
EXCUSED_PREFIXES = {
    "api:": "the JSON API",
    "api-": "the JSON API's own addresses (its schema; its 404 for unknown /api/ addresses)",
    "admin:": "Django's admin (its login page is checked on the platform host)",
    "admin/": "Django's admin (its login page is checked on the platform host)",
}


def _url_keys(resolver, prefix="", namespace="") -> set[str]:
    keys = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}{pattern.namespace}:"
            keys |= _url_keys(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            keys.add(
                f"{namespace}{pattern.name}" if pattern.name else prefix + str(pattern.pattern)
            )
    return keys


def test_every_page_is_checked_or_excused():
    keys = _url_keys(get_resolver(settings.ROOT_URLCONF)) | _url_keys(
        get_resolver(settings.PUBLIC_SCHEMA_URLCONF)
    )

    def covered(key):
        if key in PAGES or key in EXCUSED:
            return True
        return any(key.startswith(p) and key not in PAGES for p in EXCUSED_PREFIXES)

    missing = sorted(k for k in keys if not covered(k))
    assert not missing, (
        "Pages with no accessibility check: add them to PAGES (who opens them) or to EXCUSED "
        f"(why they are not pages): {missing}"
    )
    stale = sorted((set(PAGES) | set(EXCUSED)) - keys - {"bench-floor"})
    assert not stale, f"Rows for URLs that no longer exist: {stale}"
    for key, visits in PAGES.items():
        assert visits, key
        assert {v.role for v in visits} <= set(ROLES), key


# --- The browser run --------------------------------------------------------------------------


def _session_cookie(user, host) -> str:
    from django.test import Client

    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary)
    }));
}"""
# Two animation frames: layout and the resize handlers have run.
SETTLE = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.mark.browser
@pytest.mark.slow
def test_no_serious_or_critical_violation_on_any_page(live_server_url, live_city, capsys):
    from django.db import connection
    from django.urls import reverse, set_urlconf

    from tests.browser.a11y_world import build_a11y_world

    chromium_required()
    world = build_a11y_world()
    port = live_server_url.rsplit(":", 1)[1]
    hosts = {False: live_city.host, True: "localhost"}
    cookies = {
        role: _session_cookie(world.users[role], live_city.host)
        for role in ROLES
        if role != "anonymous"
    }
    axe_source = AXE_JS.read_text(encoding="utf-8")

    # The URL of every visit, reversed with the urlconf of its host.
    plan: dict[str, list[tuple[str, str, int]]] = defaultdict(list)  # role -> [(key, url, status)]
    for key, visits in PAGES.items():
        for visit in visits:
            urlconf = settings.PUBLIC_SCHEMA_URLCONF if visit.platform else settings.ROOT_URLCONF
            set_urlconf(urlconf)
            try:
                path = reverse(
                    key, urlconf=urlconf, kwargs=visit.kwargs(world) if visit.kwargs else None
                )
            finally:
                set_urlconf(None)
            url = f"http://{hosts[visit.platform]}:{port}{path}{visit.query}"
            plan[visit.role].append((key, url, visit.status))
    connection.set_schema_to_public()

    # Jobs of at most CHUNK visits, one browser context each, TABS of them at a time.
    jobs = [
        (role, language, visits[i : i + CHUNK])
        for role, visits in plan.items()
        for language in LANGUAGES
        for i in range(0, len(visits), CHUNK)
    ]
    started = time.monotonic()
    outcome: dict = {}
    runner = threading.Thread(
        target=lambda: outcome.update(
            asyncio.run(_run_jobs(jobs, axe_source, cookies, hosts, live_city.host))
        )
    )
    runner.start()
    runner.join()
    if "error" in outcome:
        raise outcome["error"]
    rows, failures, problems = outcome["rows"], outcome["failures"], outcome["problems"]
    elapsed = time.monotonic() - started

    report = _report(rows, elapsed)
    with capsys.disabled():
        print(report)  # the totals are the point of this test
    Path(settings.BASE_DIR, ".data").mkdir(exist_ok=True)
    Path(settings.BASE_DIR, ".data", "a11y-report.txt").write_text(report, encoding="utf-8")
    assert not problems, "\n".join(problems)
    assert not failures, "\n".join(
        f"{v['impact']} {v['id']} ({v['help']}) on {key} as {role}, {language}, {width}px "
        f"{url}:\n    " + "\n    ".join(v["nodes"][:5])
        for key, role, language, width, url, v in failures
    )


TABS = 3  # pages checked at once: the live server is threaded, Chromium renders in parallel
CHUNK = 8  # visits per browser context (a role's pages are split so the tabs stay busy)


async def _run_jobs(jobs, axe_source, cookies, hosts, city_host) -> dict:
    """Runs the jobs in one Chromium (Playwright's async API, in this thread's own event loop):
    each job a context with the role's session and the language cookie, and one tab that loads
    each page once and runs axe at every width. Never raises: errors are returned."""
    from playwright.async_api import async_playwright

    rows, failures, problems = [], [], []
    gate = asyncio.Semaphore(TABS)

    async def job(browser, role, language, visits):
        async with gate:
            context = await browser.new_context(
                locale="ko-KR" if language == "ko" else "en-US",
                viewport={"width": WIDTHS[0], "height": 900},
            )
            await context.add_init_script(script=axe_source)
            jar = [
                {"name": "django_language", "value": language, "domain": host, "path": "/"}
                for host in hosts.values()
            ]
            if role in cookies:
                jar.append(
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": cookies[role],
                        "domain": city_host,
                        "path": "/",
                    }
                )
            await context.add_cookies(jar)
            page = await context.new_page()
            page.set_default_timeout(30_000)
            try:
                for key, url, expected in visits:
                    response = await page.goto(url, wait_until="load")
                    status = response.status if response else 0
                    lang = await page.evaluate("() => document.documentElement.lang")
                    if page.url.split("?")[0] != url.split("?")[0] or status != expected:
                        problems.append(f"{role} got {status} for {url} (at {page.url})")
                        continue
                    if lang != language:
                        problems.append(f"{url} is in {lang!r}, not {language!r}")
                    for width in WIDTHS:
                        if width != WIDTHS[0]:
                            await page.set_viewport_size({"width": width, "height": 844})
                            await page.evaluate(SETTLE)
                        violations = await page.evaluate(AXE_RUN)
                        rows.append((key, role, language, width, status, Counter(
                            v["impact"] for v in violations
                        )))  # fmt: skip
                        failures.extend(
                            (key, role, language, width, url, v)
                            for v in violations
                            if v["impact"] in BLOCKING
                        )
                    await page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            finally:
                await context.close()

    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                await asyncio.gather(*(job(browser, *j) for j in jobs))
            finally:
                await browser.close()
    except Exception as exc:  # handed back to the test's thread
        return {"error": exc}
    return {"rows": rows, "failures": failures, "problems": problems}


def _report(rows, elapsed: float) -> str:
    by_page: dict[str, Counter] = defaultdict(Counter)
    runs: Counter = Counter()
    roles: dict[str, set] = defaultdict(set)
    for key, role, _language, _width, _status, impacts in rows:
        by_page[key].update(impacts)
        runs[key] += 1
        roles[key].add(role)
    total = Counter()
    for impacts in by_page.values():
        total.update(impacts)
    lines = [
        "",
        "axe-core accessibility run: "
        f"{len(by_page)} pages, {len(rows)} checks "
        f"(page x role x {len(LANGUAGES)} languages x {len(WIDTHS)} widths), {elapsed:.0f} s",
        f"{'page':42} {'roles':>5} {'checks':>6} " + " ".join(f"{i:>8}" for i in IMPACTS),
    ]
    for key in sorted(by_page):
        lines.append(
            f"{key:42} {len(roles[key]):>5} {runs[key]:>6} "
            + " ".join(f"{by_page[key][i]:>8}" for i in IMPACTS)
        )
    lines.append(
        f"{'total':42} {'':>5} {len(rows):>6} " + " ".join(f"{total[i]:>8}" for i in IMPACTS)
    )
    return "\n".join(lines) + "\n"
