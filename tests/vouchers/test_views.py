import pytest

from tests.accounts.factories import CitizenFactory
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import balances, charge

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def test_wallet_page_shows_balances_and_limits(client_for, citizen, budget):
    budget(100_000)
    charge(citizen, 120_000)
    body = client_for(citizen).get("/wallet/").content.decode()
    assert "120,000원" in body
    assert "500,000원" in body


def test_charge_form_goes_to_the_provider_and_back(client_for, citizen):
    client = client_for(citizen)
    response = client.post("/wallet/charge/", {"amount": "50,000"})
    assert response.status_code == 302
    checkout = response["Location"]
    assert checkout.startswith("/sandbox-pg/checkout/")
    assert "50,000원" in client.get(checkout).content.decode()
    back = client.post(checkout, {"decision": "approve"})
    assert back.status_code == 302
    assert "50,000원" in client.get(back["Location"]).content.decode()
    assert balances(citizen) == (50_000, 0)


def test_charge_form_refuses_over_the_limit(client_for, citizen):
    response = client_for(citizen).post("/wallet/charge/", {"amount": "600000"})
    assert response.status_code == 200
    assert "form-error" in response.content.decode()


def test_pay_a_shop_by_its_qr_with_the_pin(client_for, citizen, budget):
    budget(1_000_000)
    charge(citizen, 100_000)
    shop = ShopFactory()
    client = client_for(citizen)
    page = client.get(f"/wallet/pay/{shop.public_code}/").content.decode()
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    wrong = client.post(
        f"/wallet/pay/{shop.public_code}/",
        {"amount": "10000", "pin": "000000", "idempotency_key": key},
    )
    assert "form-error" in wrong.content.decode()
    ok = client.post(
        f"/wallet/pay/{shop.public_code}/",
        {"amount": "10000", "pin": "123456", "idempotency_key": key},
    )
    assert ok.status_code == 302
    done = client.get(ok["Location"]).content.decode()
    assert "1,000원" in done  # the cashback
    # Submitting the form twice pays once.
    again = client.post(
        f"/wallet/pay/{shop.public_code}/",
        {"amount": "10000", "pin": "123456", "idempotency_key": key},
    )
    assert again["Location"] == ok["Location"]
    assert balances(citizen) == (90_000, 1_000)


def test_payment_code_page_shows_a_qr_and_16_digits(client_for, citizen):
    body = client_for(citizen).get("/wallet/code/").content.decode()
    assert "<svg" in body
    number = body.split('id="pay-code-number"')[1].split(">")[1].split("<")[0]
    assert len(number.replace(" ", "")) == 16


def test_wallet_pages_are_for_citizens(client_for, city):
    from tests.accounts.factories import StaffFactory

    staff = client_for(StaffFactory())
    assert staff.get("/wallet/").status_code == 403
    assert client_for().get("/wallet/").status_code == 302  # to sign in


def test_someone_elses_payment_receipt_is_404(client_for, citizen, budget):
    budget(100_000)
    charge(citizen, 50_000)
    from tests.vouchers.conftest import pay

    payment_id = pay(citizen, ShopFactory(), 1_000)["payment_id"]
    assert client_for(CitizenFactory()).get(f"/wallet/payments/{payment_id}/").status_code == 404


def _body_rows(html: str) -> list[list[str]]:
    """The text of the cells of each row that has ``<td>`` cells."""
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.row, self.cell = [], None, None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.row = []
            elif tag == "td" and self.row is not None:
                self.cell = []

        def handle_endtag(self, tag):
            if tag == "td" and self.cell is not None:
                self.row.append(" ".join("".join(self.cell).split()))
                self.cell = None
            elif tag == "tr" and self.row:
                self.rows.append(self.row)
                self.row = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(html)
    return parser.rows


def test_history_page_lists_the_cashback_of_a_payment(client_for, citizen, shop, budget):
    from tests.vouchers.conftest import pay

    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 50_000)  # principal 50,000; the cashback 5,000 is the incentive
    pay(citizen, shop, 1_001)  # incentive 91, principal 910, cashback 100
    rows = _body_rows(client_for(citizen).get("/wallet/history/").content.decode())
    assert [row[2] for row in rows[:3]] == ["-91원", "+100원", "-910원"], rows[:3]
    assert rows[1][1].startswith("캐시백"), rows[1]


def test_history_speaks_to_the_citizen_without_order_ids_or_ledger_memos(
    client_for, citizen, shop, budget
):
    """Each line says what happened and where (the shop), and which part of the wallet moved;
    the charge's order id and the ledger's English memos stay out."""
    from tests.vouchers.conftest import pay

    budget(1_000_000)
    made = charge(citizen, 100_000)
    pay(citizen, shop, 10_000)  # from the charged money; 10% cashback 1,000 into the incentive
    html = client_for(citizen).get("/wallet/history/").content.decode()
    rows = _body_rows(html)
    assert made.order_id not in html
    for memo in ("charge ord_", "pledge ", "charging incentive", "refunded"):
        assert memo not in html
    what = [row[1] for row in rows[:3]]
    assert what == [
        f"캐시백 · {shop.name} 인센티브·캐시백",
        f"결제 · {shop.name} 충전금",
        "충전 충전금",
    ], what
    assert [row[2] for row in rows[:3]] == ["+1,000원", "-10,000원", "+100,000원"]
