"""The pages: the desk, the counter's card and note pages, the city's batches."""

import datetime as dt
import re

import pytest

from cards.models import AssistedAction, Card, DeskCharge, NoteBatch
from cards.services import batch_create, card_issue, note_check_code, notes_sell
from ledger.services import Idem
from tests.accounts.factories import CitizenFactory, ClerkFactory
from tests.cards.conftest import desk_cash_in
from tests.merchants.factories import add_clerk
from tests.vouchers.conftest import balances

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def test_desk_makes_an_account_issues_a_card_and_charges_cash(client_for, centre, budget):
    budget(1_000_000)
    desk, staff = centre
    client = client_for(staff)
    page = client.get(f"/cards/desk/{desk.pk}/", {"phone": "010-5555-6666"})
    assert page.status_code == 200
    assert "계정을 만드세요" in page.content.decode() or page.context["find"].errors
    made = client.post(
        f"/cards/desk/{desk.pk}/accounts/new/",
        {"name": "최할배", "phone": "010-5555-6666", "identified": "on", "consent": "on"},
    )
    assert made.status_code == 302
    user_id = int(re.search(r"/citizens/(\d+)/", made["Location"]).group(1))
    assert client.get(f"/cards/desk/{desk.pk}/", {"phone": "01055556666"})["Location"] == (
        f"/cards/desk/{desk.pk}/citizens/{user_id}/"
    )
    issued = client.post(f"/cards/desk/{desk.pk}/citizens/{user_id}/card/", {"pin": "123456"})
    assert issued.status_code == 302
    card = Card.objects.get(user_id=user_id)
    charged = client.post(
        f"/cards/desk/{desk.pk}/citizens/{user_id}/charge/",
        {"amount": "50,000", "method": "cash", "idempotency_key": "k1"},
    )
    assert charged.status_code == 302
    charge = DeskCharge.objects.get()
    assert (charge.amount, charge.card, charge.staff) == (50_000, card, staff)
    receipt = client.get(charged["Location"])
    assert charge.receipt_number in receipt.content.decode()
    assert "50,000원" in receipt.content.decode()
    assert balances(card.user) == (50_000, 0)
    kinds = set(AssistedAction.objects.filter(staff=staff).values_list("kind", flat=True))
    assert kinds == {"account_created", "card_issued", "charge"}
    over = client.post(
        f"/cards/desk/{desk.pk}/citizens/{user_id}/charge/",
        {"amount": "600,000", "method": "cash", "idempotency_key": "k2"},
    )
    assert over.status_code == 400
    assert 'role="alert"' in over.content.decode()
    closed = client.post(f"/cards/desk/{desk.pk}/close/", {"counted": "50,000"})
    assert closed.status_code == 302
    assert "0원" in client.get(f"/cards/desk/{desk.pk}/close/").content.decode()


def test_another_desks_staff_are_refused(client_for, centre):
    desk, _staff = centre
    from tests.cards.factories import CommunityStaffFactory

    assert client_for(CommunityStaffFactory()).get(f"/cards/desk/{desk.pk}/").status_code == 403
    assert client_for(CitizenFactory()).get("/cards/desk/").status_code == 403


def test_counter_card_page_never_shows_the_pin(client_for, shop, centre, citizen, budget):
    budget(1_000_000)
    desk, staff = centre
    desk_cash_in(desk, staff, citizen, 30_000)
    card = card_issue(user=citizen, by=staff, pin="135790", desk=desk)
    clerk = add_clerk(shop, ClerkFactory())
    client = client_for(clerk)
    page = client.get(f"/shops/{shop.pk}/counter/card/")
    assert 'type="password"' in page.content.decode()
    wrong = client.post(
        f"/shops/{shop.pk}/counter/card/",
        {"card": card.number, "amount": "10,000", "pin": "975310", "idempotency_key": "c1"},
    )
    assert wrong.status_code == 400
    assert "975310" not in wrong.content.decode()
    paid = client.post(
        f"/shops/{shop.pk}/counter/card/",
        {"card": card.number, "amount": "10,000", "pin": "135790", "idempotency_key": "c1"},
    )
    assert paid.status_code == 200
    assert "135790" not in paid.content.decode()
    assert 'id="card-paid"' in paid.content.decode()
    assert balances(citizen) == (20_000, 1_000)


def test_counter_accepts_a_note_and_refuses_it_twice(client_for, shop, branch, citizen, staff):
    batch_create(by=staff, face_value=10_000, count=1, expires_on=dt.date(2031, 1, 1))
    desk, teller = branch
    serial = notes_sell(
        desk=desk, teller=teller, buyer=citizen, counts={10_000: 1}, idem=Idem.of("t", "k", 1)
    ).body["serials"][0]
    client = client_for(shop.owner)
    data = {"serial": serial, "check": note_check_code(serial), "idempotency_key": "n1"}
    ok = client.post(f"/shops/{shop.pk}/counter/note/", data)
    assert ok.status_code == 200
    assert 'id="note-accepted"' in ok.content.decode()
    again = client.post(f"/shops/{shop.pk}/counter/note/", {**data, "idempotency_key": "n2"})
    assert again.status_code == 400
    assert shop.name in again.content.decode()


def test_staff_print_sheet_and_cancel_a_batch(client_for, staff):
    client = client_for(staff)
    made = client.post(
        "/cards/notes/", {"face_value": "5000", "count": "3", "expires_on": "2031-12-31"}
    )
    assert made.status_code == 302
    batch = NoteBatch.objects.get()
    sheet = client.get(f"/cards/notes/{batch.pk}/sheet/").content.decode()
    first = batch.notes.order_by("id").first()
    assert first.serial in sheet
    assert note_check_code(first.serial) in sheet
    assert client.post(f"/cards/notes/{batch.pk}/cancel/", {"reason": "분실"}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert client_for(CitizenFactory()).get("/cards/notes/").status_code == 403


def test_citizen_blocks_own_card(client_for, centre, citizen):
    desk, staff = centre
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    client = client_for(citizen)
    assert card.masked in client.get("/cards/").content.decode()
    assert card.number not in client.get("/cards/").content.decode()
    assert client_for(CitizenFactory()).post(f"/cards/{card.pk}/block/").status_code == 404
    assert client.post(f"/cards/{card.pk}/block/", {"reason": "분실"}).status_code == 302
    card.refresh_from_db()
    assert card.status == "blocked"
