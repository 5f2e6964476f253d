"""Hostile values in the page forms (charge, pay a shop, pledge, the counter, the guarantee fund,
shop registration, the PIN): each gets the form again with an error, and nothing moves. Every
table ends with the valid post going through (so the refusals are the input's doing)."""

from __future__ import annotations

import uuid

from campaigns.models import Pledge
from merchants import brn
from merchants.models import Shop
from merchants.services import payment_code_issue
from vouchers.models import Charge, Wallet

from .world import PIN, assert_nothing_moved, money_snapshot

BAD_AMOUNTS = [
    "-1000",
    "0",
    "1000.5",
    "１０００",  # fullwidth digits
    "١٠٠٠",  # arabic-indic digits
    "१०००",  # devanagari digits
    "lots",
    "",
    "   ",
    "9" * 19,
    "1e3",
    "1000\x00",
    "+1000",
    "1 000",
]


def _form_error(response) -> bool:
    return response.status_code in (200, 400) and b"form-error" in response.content


def _run(call, path, cases, *, make, check_unchanged=lambda: None):
    failures = []
    for label, data in cases:
        before, unchanged = money_snapshot(), check_unchanged()
        response = call("POST", path, data=make(data))
        if not _form_error(response):
            failures.append(f"{label!r}: {response.status_code} without a form error")
        try:
            assert_nothing_moved(before, repr(label))
            assert check_unchanged() == unchanged, f"{label!r}: something was written"
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, f"{path}:\n" + "\n".join(failures)


def _idem():
    return uuid.uuid4().hex


def test_charge_form(world, caller):
    call = caller("citizen_a")
    _run(
        call,
        "/wallet/charge/",
        [(a, a) for a in [*BAD_AMOUNTS, "1500"]],  # 1,500: not in steps of 1,000
        make=lambda amount: {"amount": amount},
        check_unchanged=Charge.objects.count,
    )
    response = call("POST", "/wallet/charge/", data={"amount": "10,000"})
    assert response.status_code == 302
    assert "/sandbox-pg/checkout/" in response["Location"]


def test_pay_shop_form(world, caller):
    call = caller("citizen_a")
    path = f"/wallet/pay/{world.shop_x.public_code}/"
    cases = [(f"amount {a!r}", {"amount": a, "pin": PIN}) for a in BAD_AMOUNTS]
    cases += [
        (f"pin {p!r}", {"amount": "1000", "pin": p})
        for p in ["12345", "1234567", "１２３４５６", "abcdef", "", "12 456", "12345\x00"]
    ]
    _run(call, path, cases, make=lambda data: {**data, "idempotency_key": _idem()})
    response = call("POST", path, data={"amount": "1000", "pin": PIN, "idempotency_key": _idem()})
    assert response.status_code == 302
    assert "/wallet/payments/" in response["Location"]


def test_pledge_form(world, caller):
    call = caller("citizen_b")
    path = f"/campaigns/{world.campaign.pk}/shops/{world.shop_x.pk}/pledge/"
    base = {"amount": "100000", "pay_with": "wallet", "pin": PIN}
    cases = [(f"amount {a!r}", {**base, "amount": a}) for a in BAD_AMOUNTS]
    cases += [
        ("below the campaign's minimum", {**base, "amount": "99999"}),
        ("above the campaign's maximum", {**base, "amount": "300001"}),
        ("pay with bitcoin", {**base, "pay_with": "bitcoin"}),
        ("no PIN", {**base, "pin": ""}),
        ("fullwidth PIN", {**base, "pin": "１２３４５６"}),
    ]
    _run(
        call,
        path,
        cases,
        make=lambda data: {**data, "idempotency_key": _idem()},
        check_unchanged=Pledge.objects.count,
    )
    response = call("POST", path, data={**base, "idempotency_key": _idem()})
    assert response.status_code == 302


def test_counter_bill_form(world, caller):
    call = caller("owner_x")
    field = "amount"
    path = f"/shops/{world.shop_x.pk}/counter/bill/"
    code = payment_code_issue(user=world.citizen_a).number
    failures = []
    for amount in BAD_AMOUNTS:
        before = money_snapshot()
        response = call(
            "POST", path, data={"code": code, field: amount, "idempotency_key": _idem()}
        )
        if response.status_code != 200 or b"form-error" not in response.content:
            failures.append(f"{amount!r}: {response.status_code} without an error")
        try:
            assert_nothing_moved(before, repr(amount))
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)
    response = call("POST", path, data={"code": code, field: "1000", "idempotency_key": _idem()})
    assert b"form-error" not in response.content, response.content


def test_guarantee_fund_form(world, caller):
    call = caller("staff")
    path = "/campaigns/manage/closed-shops/"
    failures = []
    for amount in BAD_AMOUNTS:
        before = money_snapshot()
        response = call(
            "POST", path, data={"form": "fund", "amount": amount, "idempotency_key": _idem()}
        )
        if response.status_code != 200 or b"form-error" not in response.content:
            failures.append(f"{amount!r}: {response.status_code} without an error")
        try:
            assert_nothing_moved(before, repr(amount))
        except AssertionError as exc:
            failures.append(str(exc))
    for shop in ("abc", "-1", "１", "", str(world.shop_x.pk)):  # no such closed shop: 404
        before = money_snapshot()
        response = call("POST", path, data={"form": "refund", "shop": shop})
        if response.status_code != 404:
            failures.append(f"refund shop {shop!r}: {response.status_code}")
        assert_nothing_moved(before, f"refund {shop!r}")
    assert not failures, "\n".join(failures)
    before = money_snapshot()
    response = call(
        "POST", path, data={"form": "fund", "amount": "1,000,000", "idempotency_key": _idem()}
    )
    assert response.status_code == 302
    assert money_snapshot() != before


SHOP = {
    "name": "새가게",
    "business_number": brn.with_check_digit("777777777"),
    "category": "restaurant",
    "district": "풍남동",
    "address": "전주시 완산구 1",
    "phone": "063-111-2222",
    "sales_bracket": "under_300m",
    "bank_name": "전북은행",
    "bank_account": "1013-22-333444",
    "bank_holder": "새사장",
}


def test_shop_registration_form(world, caller):
    call = caller("citizen_b")
    number = SHOP["business_number"]
    fullwidth = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    cases = [
        (
            "bad check digit",
            {**SHOP, "business_number": number[:-1] + str((int(number[-1]) + 1) % 10)},
        ),
        ("fullwidth business number", {**SHOP, "business_number": fullwidth}),
        ("another shop's number", {**SHOP, "business_number": world.shop_x.business_number}),
        ("fullwidth account", {**SHOP, "bank_account": "１０１３２２３３３４４４"}),
        ("short account", {**SHOP, "bank_account": "1234"}),
        ("letters in account", {**SHOP, "bank_account": "1013-AB-333444"}),
        ("casino", {**SHOP, "category": "casino"}),
        ("excluded category", {**SHOP, "category": "large_mart"}),
        ("sales over the ceiling", {**SHOP, "sales_bracket": "over_3b"}),
        ("bogus bracket", {**SHOP, "sales_bracket": "infinite"}),
        ("bank not on the list", {**SHOP, "bank_name": "Bank of Mars"}),
        ("name too long", {**SHOP, "name": "가" * 101}),
        ("NUL in the name", {**SHOP, "name": "새\x00가게"}),
        ("no name", {**SHOP, "name": ""}),
        # A browser always sends the CSRF field, so "nothing" is a post with only that.
        ("nothing", {"csrfmiddlewaretoken": "x"}),
    ]
    _run(
        call,
        "/shops/register/",
        cases,
        make=lambda data: data,
        check_unchanged=lambda: Shop.objects.count(),
    )
    response = call("POST", "/shops/register/", data=SHOP)
    assert response.status_code == 302


def test_pin_form(world, caller):
    call = caller("citizen_a")

    def pin_hash():
        return Wallet.objects.get(user=world.citizen_a).pin_hash

    cases = [
        (f"pin {p!r}", {"pin": p, "password": "test-pass-1234"})
        for p in [
            "12345",
            "1234567",
            "１２３４５６",
            "١٢٣٤٥٦",
            "abcdef",
            "",
            "12 456",
            "1234\x0056",
        ]
    ]
    cases.append(("wrong password", {"pin": "654321", "password": "not-my-password"}))
    _run(call, "/wallet/pin/", cases, make=lambda data: data, check_unchanged=pin_hash)
    before = pin_hash()
    response = call("POST", "/wallet/pin/", data={"pin": "654321", "password": "test-pass-1234"})
    assert response.status_code == 302
    assert pin_hash() != before
