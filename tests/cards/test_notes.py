"""Paper notes: sale within the month's limit, redemption once, forgery, settlement, batches."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from cards.exceptions import (
    NoteAlreadyRedeemedError,
    NoteError,
    NoteForgedError,
    NoteNotSellableError,
    NoteStockError,
)
from cards.models import AssistedAction, Note, NoteRedemption
from cards.selectors import batch_figures
from cards.services import (
    batch_cancel,
    batch_create,
    note_check_code,
    note_redeem,
    notes_sell,
)
from ledger.models import Account
from ledger.services import Idem
from merchants.models import Statement
from merchants.settlement import settlement_run
from tests.merchants.factories import ShopFactory
from vouchers.exceptions import ChargeLimitError
from vouchers.models import MonthlyUsage
from vouchers.services import policy_set

TODAY = dt.date(2026, 5, 12)


@pytest.fixture(autouse=True)
def _on_a_tuesday():
    with time_machine.travel(dt.datetime(2026, 5, 12, 14, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def discount_policy(staff):
    """A 10% charging incentive (the notes' discount) within a 500,000 won monthly limit."""
    return policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=1000,
        cashback_bp=0,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
    )


@pytest.fixture
def batches(staff):
    valid = dt.date(2031, 12, 31)
    return {
        face: batch_create(by=staff, face_value=face, count=20, expires_on=valid)
        for face in (5_000, 10_000, 50_000)
    }


def sell(branch, buyer, counts, key):
    desk, teller = branch
    return notes_sell(
        desk=desk, teller=teller, buyer=buyer, counts=counts, idem=Idem.of("t", key, counts)
    )


def redeem(shop, serial, check, key):
    return note_redeem(
        shop=shop, serial=serial, check=check, idem=Idem.of(f"shop:{shop.pk}", key, serial)
    )


def note_by_serial(serial):
    return Note.objects.get(serial=serial)


def test_batch_has_serials_of_its_value_and_unforgeable_codes(city, staff, batches):
    batch = batches[10_000]
    notes = list(batch.notes.order_by("id"))
    assert len(notes) == 20
    assert notes[0].serial == f"10{batch.pk:05d}000001"
    codes = {note_check_code(n.serial) for n in notes}
    assert len(codes) == 20
    assert all(len(c) == 12 and c.isdigit() for c in codes)
    with pytest.raises(NoteError):
        batch_create(by=staff, face_value=20_000, count=1, expires_on=dt.date(2030, 1, 1))


def test_notes_sold_within_the_monthly_limit_at_the_wallets_discount(
    city, branch, citizen, batches, budget, discount_policy
):
    """2 × 50,000 + 3 × 10,000 + 4 × 5,000 = 150,000 won of notes for 135,000 won in cash
    (10% from the budget); the month's limit counts the face value. 350,000 more reaches the
    500,000 limit exactly; one more 5,000 won note is refused and nothing changes."""
    budget(1_000_000)
    desk, teller = branch
    first = sell(branch, citizen, {50_000: 2, 10_000: 3, 5_000: 4}, "s1").body
    assert (first["face_total"], first["discount"], first["price"]) == (150_000, 15_000, 135_000)
    assert len(first["serials"]) == 9
    usage = MonthlyUsage.objects.get(user=citizen, month=dt.date(2026, 5, 1))
    assert (usage.charged, usage.incentive) == (150_000, 15_000)
    cash = Account.objects.get(kind="provider_clearing", provider=desk.cash_provider)
    assert cash.balance == -135_000
    notes = Account.objects.filter(kind="provider_clearing", provider="paper_notes")
    assert sum(a.balance for a in notes) == 150_000

    second = sell(branch, citizen, {50_000: 7}, "s2").body
    assert (second["face_total"], second["price"]) == (350_000, 315_000)
    with pytest.raises(ChargeLimitError):
        sell(branch, citizen, {5_000: 1}, "s3")
    usage.refresh_from_db()
    assert usage.charged == 500_000
    assert Note.objects.filter(status="sold").count() == 16
    assert AssistedAction.objects.filter(kind="notes_sold", staff=teller).count() == 2
    # A retry of the first sale sells nothing more.
    assert sell(branch, citizen, {50_000: 2, 10_000: 3, 5_000: 4}, "s1").replayed
    assert Note.objects.filter(status="sold").count() == 16
    with pytest.raises(NoteStockError):
        sell(branch, citizen, {50_000: 20}, "s4")
    call_command("ledger_check")


def test_note_redeemed_once_then_refused_with_where_and_when(
    city, branch, citizen, batches, budget, discount_policy
):
    budget(1_000_000)
    serial = sell(branch, citizen, {10_000: 1}, "s").body["serials"][0]
    check = note_check_code(serial)
    first_shop = ShopFactory(name="전주비빔밥집")
    other = ShopFactory(name="한옥마을 빵집")
    done = redeem(first_shop, serial, check, "r1")
    assert done.status_code == 201
    assert done.body["face_value"] == 10_000
    with pytest.raises(NoteAlreadyRedeemedError) as refused:
        redeem(other, serial, check, "r2")
    assert refused.value.status == 409
    assert "전주비빔밥집" in refused.value.message
    assert "2026-05-12 23:00" in refused.value.message  # 14:00 UTC is 23:00 in Seoul
    assert NoteRedemption.objects.get().shop == first_shop
    payable = Account.objects.get(kind="shop_payable", owner_shop_id=first_shop.pk)
    assert payable.balance == 10_000
    assert not Account.objects.filter(kind="shop_payable", owner_shop_id=other.pk, balance__gt=0)
    # The same request again (a retry) answers as the first time.
    assert redeem(first_shop, serial, check, "r1").replayed


def test_forged_and_unsold_notes_are_refused(
    city, branch, citizen, batches, budget, discount_policy
):
    budget(1_000_000)
    shop = ShopFactory()
    serial = sell(branch, citizen, {5_000: 1}, "s").body["serials"][0]
    check = note_check_code(serial)
    wrong = f"{(int(check) + 1) % 10**12:012d}"
    with pytest.raises(NoteForgedError):
        redeem(shop, serial, wrong, "f1")
    with pytest.raises(NoteForgedError):
        redeem(shop, "99" + serial[2:], note_check_code("99" + serial[2:]), "f2")  # never printed
    unsold = batches[50_000].notes.order_by("id").first()
    with pytest.raises(NoteNotSellableError):
        redeem(shop, unsold.serial, note_check_code(unsold.serial), "f3")
    assert not NoteRedemption.objects.exists()
    assert not Account.objects.filter(kind="shop_payable", balance__gt=0).exists()


def test_the_nightly_settlement_pays_the_shop_for_its_notes(
    city, branch, citizen, batches, budget, discount_policy
):
    """A shop accepts a 50,000 and a 10,000 won note on the 12th; the settlement of the 12th
    pays it 60,000 won."""
    budget(1_000_000)
    shop = ShopFactory()
    serials = sell(branch, citizen, {50_000: 1, 10_000: 1}, "s").body["serials"]
    for i, serial in enumerate(serials):
        redeem(shop, serial, note_check_code(serial), f"r{i}")
    with time_machine.travel(dt.datetime(2026, 5, 12, 17, 30, tzinfo=dt.UTC)):  # 02:30 KST
        report = settlement_run(business_date=TODAY)
    statement = Statement.objects.get(shop=shop, business_date=TODAY)
    assert (statement.gross, statement.payout_amount) == (60_000, 60_000)
    assert report.paid == 60_000
    payouts = Account.objects.get(kind="shop_payouts", owner_shop_id=shop.pk)
    assert payouts.balance == 60_000
    notes = Account.objects.filter(kind="provider_clearing", provider="paper_notes")
    assert sum(a.balance for a in notes) == 0
    call_command("ledger_check")


def test_cancelled_batch_and_the_figures_per_batch(
    city, staff, branch, citizen, batches, budget, discount_policy
):
    budget(1_000_000)
    shop = ShopFactory()
    serials = sell(branch, citizen, {5_000: 3}, "s").body["serials"]
    redeem(shop, serials[0], note_check_code(serials[0]), "r")
    cancelled = batch_cancel(batch=batches[5_000], by=staff, reason="도난 신고")
    assert cancelled == 17
    stolen = batches[5_000].notes.filter(status="cancelled").first()
    with pytest.raises(NoteNotSellableError):
        redeem(shop, stolen.serial, note_check_code(stolen.serial), "r2")
    with pytest.raises(NoteStockError):
        sell(branch, citizen, {5_000: 1}, "s2")
    # A sold note of the cancelled batch stays good.
    assert redeem(shop, serials[1], note_check_code(serials[1]), "r3").status_code == 201
    short = batch_create(by=staff, face_value=10_000, count=2, expires_on=dt.date(2026, 5, 20))
    sell(branch, citizen, {10_000: 22}, "s3")  # 20 of the long batch, then 2 of the short one
    figures = {f.batch.pk: f for f in batch_figures()}
    five = figures[batches[5_000].pk]
    assert (five.stock, five.sold, five.redeemed, five.outstanding, five.cancelled) == (
        0,
        3,
        2,
        1,
        17,
    )
    assert five.outstanding_value == 5_000
    later = {f.batch.pk: f for f in batch_figures(today=dt.date(2026, 6, 1))}
    assert (later[short.pk].outstanding, later[short.pk].expired) == (0, 2)
    assert (figures[short.pk].outstanding, figures[short.pk].expired) == (2, 0)
    assert timezone.now()  # the clock is frozen at the 12th


def test_counter_note_api(device_api, shop, branch, citizen, batches, budget, discount_policy):
    budget(1_000_000)
    serial = sell(branch, citizen, {50_000: 1}, "s").body["serials"][0]
    check = note_check_code(serial)

    def post(payload, key):
        return device_api.post(
            "/api/v1/counter/notes", payload, format="json", headers={"Idempotency-Key": key}
        )

    forged = post({"serial": serial, "check": "000000000000"}, "n0")
    assert forged.status_code == 422
    ok = post({"serial": serial, "check": check}, "n1")
    assert ok.status_code == 201
    assert set(ok.json()) >= {"note_id", "face_value"}
    assert ok.json()["face_value"] == 50_000
    again = post({"serial": serial, "check": check}, "n2")
    assert again.status_code == 409
    assert shop.name in again.json()["error"]["message"]
    assert post({"serial": serial}, "n3").status_code == 400
