from ledger.selectors import citizen_balances
from ledger.services import Idem
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import charge_create, wallet_pay


def charge(user, amount):
    """Charge through the sandbox provider, as a citizen would."""
    created, _url = charge_create(user=user, amount=amount)
    outcome = sandbox_approve(created.order_id)
    assert outcome["status"] == "credited", outcome
    created.refresh_from_db()
    return created


def pay(user, shop, amount, key=None, method="shop_qr"):
    key = key or f"pay-{user.pk}-{shop.pk}-{amount}-{pay.counter}"
    pay.counter += 1
    return wallet_pay(
        user=user,
        shop=shop,
        amount=amount,
        method=method,
        idem=Idem.of(f"user:{user.pk}", key, "t"),
    ).body


pay.counter = 0


def balances(user):
    b = citizen_balances(user_id=user.pk)
    return b.principal, b.incentive
