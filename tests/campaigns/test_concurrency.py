import datetime as dt

import pytest
from django.utils import timezone

from campaigns.exceptions import InsufficientPrepaidError
from campaigns.services import pledge_with_card
from counter.services import counter_redeem
from ledger.models import Account
from ledger.selectors import ledger_check
from ledger.services import Idem
from merchants import codes as code_utils
from merchants.models import PaymentCode
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.helpers import race
from tests.merchants.factories import ShopFactory, device_for
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import policy_set

pytestmark = pytest.mark.slow


def _codes_for(user, n):
    """n live codes at once (issuing through the service would retire each previous one)."""
    numbers = []
    for _ in range(n):
        number = code_utils.new_number()
        PaymentCode.objects.create(
            user=user,
            number_hash=code_utils.number_hash(number),
            token_hash=code_utils.qr_hash(code_utils.new_qr_secret()),
            expires_at=timezone.now() + dt.timedelta(minutes=3),
        )
        numbers.append(number)
    return numbers


def test_two_devices_redeeming_one_prepaid_balance_never_overdraw_it(live_city):
    policy_set(
        by=StaffFactory(),
        effective_from=dt.date(2020, 1, 1),
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
    )
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign)
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    citizen = CitizenFactory()
    created, _url = pledge_with_card(user=citizen, campaign=campaign, shop=shop, amount=100_000)
    assert sandbox_approve(created.charge.order_id)["status"] == "credited"
    devices = [device_for(shop, name=f"d{i}")[0] for i in range(2)]
    numbers = _codes_for(citizen, 40)

    def redeem_once(i):
        device = devices[i % 2]
        try:
            return counter_redeem(
                shop=shop,
                code=numbers[i],
                amount=6_000,
                device=device,
                idem=Idem.of(f"device:{device.pk}", f"k{i}", "r", numbers[i], 6_000),
            ).body["amount"]
        except InsufficientPrepaidError:
            return 0

    # Two counter devices, each on its own connection, redeeming 6,000 at a time at once.
    results = race(live_city, 40, redeem_once, workers=2)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 96_000  # 16 times 6,000; a 17th would overdraw the 100,000
    balance = Account.objects.get(kind="prepaid", owner_user=citizen, owner_shop_id=shop.pk).balance
    assert balance == 4_000
    assert ledger_check().ok
