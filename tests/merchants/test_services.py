import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.roles import Role
from merchants import brn
from merchants.exceptions import (
    CodeLookupLimitedError,
    DuplicateBusinessNumberError,
    InvalidBusinessNumberError,
    InvitationError,
    PaymentCodeExpiredError,
    PaymentCodeUnknownError,
    PaymentCodeUsedError,
    ShopError,
    ShopIneligibleError,
    ShopPermissionError,
    ShopStatusError,
)
from merchants.models import CodeLookupFailure, EligibilityRefusal, Shop, ShopEvent, ShopMember
from merchants.services import (
    ShopDetails,
    clerk_invitation_accept,
    clerk_invite,
    payment_code_issue,
    payment_code_resolve,
    shop_policy_set,
    shop_register,
    shop_resubmit,
    shop_review,
)
from tests.accounts.factories import CitizenFactory, OwnerFactory, StaffFactory, UserFactory
from tests.merchants.factories import ShopFactory, device_for


def details(**overrides):
    values = {
        "name": "전주 떡집",
        "business_number": brn.with_check_digit("111222333"),
        "category": "bakery",
        "district": "풍남동",
        "address": "전주시 완산구 1",
        "phone": "063-111-2222",
        "sales_bracket": "under_300m",
        "bank_name": "전북은행",
        "bank_account": "1013-0000-1234",
        "bank_holder": "김떡",
    }
    values.update(overrides)
    return ShopDetails(**values)


@pytest.fixture
def staff(city):
    return StaffFactory()


def test_registration_creates_a_pending_shop_with_its_owner(city):
    user = CitizenFactory()
    shop = shop_register(owner=user, details=details())
    assert shop.status == Shop.Status.PENDING
    assert shop.bank_account == "101300001234"
    assert shop.bank_account_masked == "********1234"
    assert ShopMember.objects.get(shop=shop).role == "owner"
    user.refresh_from_db()
    assert Role.MERCHANT_OWNER in type(user).objects.get(pk=user.pk).roles


def test_registration_with_a_bad_check_digit_is_refused(city):
    bad = brn.with_check_digit("111222333")[:-1] + "0"
    if brn.is_valid(bad):
        bad = bad[:-1] + "1"
    with pytest.raises(InvalidBusinessNumberError):
        shop_register(owner=CitizenFactory(), details=details(business_number=bad))
    assert not Shop.objects.exists()


def test_a_business_number_is_unique_in_the_city(city):
    shop_register(owner=CitizenFactory(), details=details())
    with pytest.raises(DuplicateBusinessNumberError):
        shop_register(owner=CitizenFactory(), details=details(name="다른 가게"))


@pytest.mark.parametrize(
    ("category", "bracket", "fragment"),
    [
        ("department_store", "under_1b", "업종"),
        ("large_mart", "under_300m", "업종"),
        ("entertainment", "under_300m", "업종"),
        ("restaurant", "over_3b", "30억 원 초과"),
    ],
)
def test_ineligible_shops_are_told_why_and_nothing_is_created(city, category, bracket, fragment):
    owner = CitizenFactory()
    with pytest.raises(ShopIneligibleError) as exc:
        shop_register(owner=owner, details=details(category=category, sales_bracket=bracket))
    assert fragment in exc.value.message
    assert not Shop.objects.exists()
    assert EligibilityRefusal.objects.get().user == owner


def test_city_policy_decides_eligibility(city, staff):
    shop_policy_set(by=staff, sales_ceiling="under_1b", excluded_categories=["golf"])
    with pytest.raises(ShopIneligibleError):
        shop_register(owner=CitizenFactory(), details=details(sales_bracket="under_3b"))
    shop = shop_register(
        owner=CitizenFactory(),
        details=details(category="large_mart", business_number=brn.with_check_digit("999888777")),
    )
    assert shop.status == "pending"


def test_staff_approve_a_pending_shop(city, staff):
    shop = shop_register(owner=CitizenFactory(), details=details())
    shop = shop_review(shop=shop, by=staff, action="approve")
    assert shop.status == "approved"
    assert shop.approved_at is not None
    assert ShopEvent.objects.filter(shop=shop, action="approve", actor=staff).exists()


def test_rejection_needs_a_reason_the_owner_sees_and_can_be_resubmitted(city, staff):
    owner = CitizenFactory()
    shop = shop_register(owner=owner, details=details())
    with pytest.raises(ShopError):
        shop_review(shop=shop, by=staff, action="reject", reason="")
    shop = shop_review(
        shop=shop, by=staff, action="reject", reason="사업자등록증 사본이 필요합니다"
    )
    assert shop.is_rejected
    assert shop.status_reason == "사업자등록증 사본이 필요합니다"
    shop = shop_resubmit(shop=shop, by=owner)
    assert shop.status == "pending"


def test_suspend_reinstate_close(city, staff):
    shop = ShopFactory()
    shop = shop_review(shop=shop, by=staff, action="suspend", reason="민원 조사")
    assert shop.status == "suspended"
    shop = shop_review(shop=shop, by=staff, action="approve")
    assert shop.status == "approved"
    shop = shop_review(shop=shop, by=staff, action="close", reason="폐업 신고")
    assert shop.status == "closed"
    assert not shop.is_rejected
    with pytest.raises(ShopStatusError):
        shop_review(shop=shop, by=staff, action="approve")


def test_only_staff_review(city):
    shop = ShopFactory(status="pending", approved_at=None)
    with pytest.raises(ShopPermissionError):
        shop_review(shop=shop, by=shop.owner, action="approve")


def test_clerk_invitation_is_for_the_invited_address_only(city):
    shop = ShopFactory()
    token = clerk_invite(shop=shop, by=shop.owner, email="clerk@example.kr")
    with pytest.raises(InvitationError):
        clerk_invitation_accept(token=token, user=UserFactory(email="other@example.kr"))
    clerk = UserFactory(email="clerk@example.kr")
    member = clerk_invitation_accept(token=token, user=clerk)
    assert member.role == "clerk"
    assert Role.MERCHANT_CLERK in type(clerk).objects.get(pk=clerk.pk).roles
    with pytest.raises(InvitationError):  # once only
        clerk_invitation_accept(token=token, user=clerk)


def test_a_clerk_cannot_invite(city):
    shop = ShopFactory()
    clerk = UserFactory()
    ShopMember.objects.create(shop=shop, user=clerk, role="clerk")
    with pytest.raises(ShopPermissionError):
        clerk_invite(shop=shop, by=clerk, email="x@example.kr")


# --- Payment codes --------------------------------------------------------------------------


@pytest.fixture
def shop(city):
    return ShopFactory()


def test_a_code_resolves_by_number_and_by_qr_token(shop):
    citizen = CitizenFactory()
    issued = payment_code_issue(user=citizen)
    assert len(issued.number) == 16
    assert issued.number.isdigit()
    assert payment_code_resolve(code=issued.number, shop=shop).user == citizen
    assert payment_code_resolve(code=issued.number_display, shop=shop).user == citizen
    assert payment_code_resolve(code=issued.qr_token, shop=shop).user == citizen


def test_the_qr_token_carries_at_least_128_random_bits_and_a_signature(shop):
    import base64

    issued = payment_code_issue(user=CitizenFactory())
    value, _, signature = issued.qr_token.rpartition(":")
    schema, _, secret = value.partition(".")
    assert schema == "jeonju"
    raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    assert len(raw) * 8 >= 128
    assert signature


def test_a_tampered_qr_token_is_unknown(shop):
    issued = payment_code_issue(user=CitizenFactory())
    tampered = issued.qr_token[:-2] + ("AA" if not issued.qr_token.endswith("AA") else "BB")
    with pytest.raises(PaymentCodeUnknownError):
        payment_code_resolve(code=tampered, shop=shop)


def test_codes_expire_after_three_minutes(shop):
    citizen = CitizenFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        issued = payment_code_issue(user=citizen)
    with time_machine.travel(start + dt.timedelta(minutes=2, seconds=59), tick=False):
        payment_code_resolve(code=issued.number, shop=shop)
    with (
        time_machine.travel(start + dt.timedelta(minutes=3, seconds=1), tick=False),
        pytest.raises(PaymentCodeExpiredError) as exc,
    ):
        payment_code_resolve(code=issued.number, shop=shop)
    assert "만료" in exc.value.message


def _pay_with(code, shop, device=None, key=None):
    """Spend ``code`` the one way codes are spent: a wallet payment (payment_code_spend() in
    the database, called by wallet_pay())."""
    from ledger.services import Idem
    from vouchers.services import wallet_pay

    return wallet_pay(
        user=code.user,
        shop=shop,
        amount=1_000,
        method="shop_qr",
        device=device,
        code=code,
        idem=Idem.of(f"shop:{shop.pk}", key or f"code-{code.pk}", "t"),
    )


def _funded(citizen):
    from tests.vouchers.conftest import charge

    charge(citizen, 50_000)
    return citizen


def test_a_code_is_single_use(shop, jeonju_policy, budget):
    issued = payment_code_issue(user=_funded(CitizenFactory()))
    code = payment_code_resolve(code=issued.number, shop=shop)
    _pay_with(code, shop)
    with pytest.raises(PaymentCodeUsedError) as exc:
        payment_code_resolve(code=issued.number, shop=shop)
    assert "이미 사용한" in exc.value.message
    with pytest.raises(PaymentCodeUsedError):  # the same resolved code, under another key
        _pay_with(code, shop, key="another")


def test_a_new_code_retires_the_previous_one(shop):
    citizen = CitizenFactory()
    first = payment_code_issue(user=citizen)
    payment_code_issue(user=citizen)
    with pytest.raises(PaymentCodeExpiredError):
        payment_code_resolve(code=first.number, shop=shop)


def test_failed_lookups_are_logged_and_rate_limited_per_device(shop):
    device, _ = device_for(shop)
    for _i in range(10):
        with pytest.raises(PaymentCodeUnknownError):
            payment_code_resolve(code="1234123412341234", shop=shop, device=device)
    assert CodeLookupFailure.objects.filter(device=device).count() == 10
    valid = payment_code_issue(user=CitizenFactory())
    with pytest.raises(CodeLookupLimitedError) as exc:
        payment_code_resolve(code=valid.number, shop=shop, device=device)
    assert exc.value.status == 429
    other_device, _ = device_for(shop, name="두 번째")
    assert payment_code_resolve(code=valid.number, shop=shop, device=other_device)


def test_failed_lookups_are_rate_limited_per_shop_across_devices(shop):
    devices = [device_for(shop, name=f"d{i}")[0] for i in range(4)]
    for i in range(30):
        with pytest.raises(PaymentCodeUnknownError):
            payment_code_resolve(code="junk-code", shop=shop, device=devices[i % 4])
    fresh, _ = device_for(shop, name="fresh")
    with pytest.raises(CodeLookupLimitedError):
        payment_code_resolve(code="0000000000000000", shop=shop, device=fresh)


def test_the_limit_window_passes(shop):
    device, _ = device_for(shop)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _i in range(10):
            with pytest.raises(PaymentCodeUnknownError):
                payment_code_resolve(code="1111222233334444", shop=shop, device=device)
    with (
        time_machine.travel(start + dt.timedelta(minutes=11), tick=False),
        pytest.raises(PaymentCodeUnknownError),  # looked up again, not limited
    ):
        payment_code_resolve(code="1111222233334444", shop=shop, device=device)


def test_a_code_from_one_city_does_not_work_in_another(city, other_city):
    from django_tenants.utils import schema_context

    issued = payment_code_issue(user=CitizenFactory())
    with schema_context(other_city.schema_name):
        wanju_shop = ShopFactory(owner=OwnerFactory(email="wanju-owner@example.kr"))
        with pytest.raises(PaymentCodeUnknownError):
            payment_code_resolve(code=issued.qr_token, shop=wanju_shop)
        with pytest.raises(PaymentCodeUnknownError):
            payment_code_resolve(code=issued.number, shop=wanju_shop)


def test_the_counter_device_sees_its_shop_as_it_is(city):
    """The raw look-up behind device tokens must map every column to the right field."""
    from merchants.authentication import _active_device
    from merchants.codes import token_hash

    shop = ShopFactory(sales_bracket="under_1b", status="suspended", name="정확한 가게")
    _device, token = device_for(shop)
    device = _active_device(token_hash(token))
    assert (device.shop.status, device.shop.sales_bracket, device.shop.name) == (
        "suspended",
        "under_1b",
        "정확한 가게",
    )
    assert device.shop.public_code == shop.public_code


def test_a_spent_code_presented_again_is_answered_but_not_counted_as_guessing(
    shop, jeonju_policy, budget
):
    device, _ = device_for(shop)
    for _i in range(15):
        issued = payment_code_issue(user=_funded(CitizenFactory()))
        code = payment_code_resolve(code=issued.number, shop=shop, device=device)
        _pay_with(code, shop, device=device)
        with pytest.raises(PaymentCodeUsedError):  # a retry presenting the spent code
            payment_code_resolve(code=issued.number, shop=shop, device=device)
    assert CodeLookupFailure.objects.filter(device=device, reason="used").count() == 15
    fresh = payment_code_issue(user=CitizenFactory())
    assert payment_code_resolve(code=fresh.number, shop=shop, device=device)
