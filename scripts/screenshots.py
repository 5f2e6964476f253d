"""Screenshots of the main pages on a phone (390 px wide), from a running demo (`make run`).

    .venv/bin/python scripts/screenshots.py                       # http://jeonju.localhost:8000
    .venv/bin/python scripts/screenshots.py --base http://jeonju.localhost:8300 --lang en

Signs in as the demo users (seed_demo) and saves full-page PNGs under .data/screenshots/: the
citizen's wallet and pledge form, the counter (with a customer identified from a fresh payment
code), and the staff dashboard. Uses Debian's Chromium (fonts-noto-cjk renders the Korean). Look
at them: they are how a phone shows the pages, which no assertion sees.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-pass-2021"  # noqa: S105 - the demo's published password (README)


def sign_in(page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{base}/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://jeonju.localhost:8000")
    parser.add_argument("--out", default=str(ROOT / ".data" / "screenshots"))
    parser.add_argument("--lang", default="ko", choices=["ko", "en"])
    parser.add_argument("--width", type=int, default=390)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = args.base.rstrip("/")
    host = re.sub(r"^https?://([^:/]+).*$", r"\1", base)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=args.chromium,
            args=["--no-sandbox", "--host-resolver-rules=MAP *.localhost 127.0.0.1"],
        )
        context = browser.new_context(
            locale="ko-KR" if args.lang == "ko" else "en-US",
            viewport={"width": args.width, "height": 844},
            device_scale_factor=1,
        )
        page = context.new_page()
        page.set_default_timeout(20_000)

        def shot(name: str) -> None:
            page.context.add_cookies(
                [{"name": "django_language", "value": args.lang, "domain": host, "path": "/"}]
            )
            page.wait_for_timeout(500)
            path = out / f"{name}-{args.lang}-{args.width}.png"
            page.screenshot(path=str(path), full_page=True)
            print(path)

        def open_page(path: str) -> None:
            page.context.add_cookies(
                [{"name": "django_language", "value": args.lang, "domain": host, "path": "/"}]
            )
            page.goto(f"{base}{path}")

        # A citizen with room left pledges (citizen2 pledged 100,000 of 300,000).
        sign_in(page, base, "citizen2@demo.kr")
        open_page("/campaigns/")
        page.locator("a[href^='/campaigns/'][role=button]").first.click()
        page.locator("a[href*='/pledge/']").first.click()
        shot("pledge")
        # The citizen: wallet, the payment code (for the counter below).
        sign_in(page, base, "citizen@demo.kr")
        open_page("/wallet/")
        shot("wallet")
        open_page("/wallet/code/")
        code = re.sub(r"\D", "", page.locator(".pay-code").first.inner_text())

        # The counter: the owner identifies the citizen by the code.
        sign_in(page, base, "owner@demo.kr")
        open_page("/shops/counter/")
        page.locator("input[name=code]").fill(code)
        page.locator("#identify-form button[type=submit]").click()
        page.locator(".identified, .form-error").first.wait_for()
        shot("counter")

        # The dashboard, for city staff.
        sign_in(page, base, "staff@demo.kr")
        open_page("/dashboard/")
        page.wait_for_timeout(1000)  # the charts draw
        shot("dashboard")
        browser.close()


if __name__ == "__main__":
    main()
