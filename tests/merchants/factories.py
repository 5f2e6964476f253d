import secrets

import factory
from django.utils import timezone

from merchants import brn
from merchants.models import Device, Shop, ShopMember
from tests.accounts.factories import OwnerFactory


class ShopFactory(factory.django.DjangoModelFactory):
    """An approved shop with its owner as a member."""

    class Meta:
        model = Shop
        skip_postgeneration_save = True

    owner = factory.SubFactory(OwnerFactory)
    name = factory.Sequence(lambda n: f"가게 {n}")
    # Office 500-998, type 81 (a corporation), serial 0001-9999: valid by the registry's ranges.
    business_number = factory.Sequence(
        lambda n: brn.with_check_digit(f"{500 + n // 9999 % 499:03d}81{n % 9999 + 1:04d}")
    )
    category = "restaurant"
    district = "풍남동"
    address = "전주시 완산구 태조로 1"
    phone = "063-123-4567"
    sales_bracket = "under_300m"
    bank_name = "전북은행"
    bank_account = "1013000012345"
    bank_holder = "홍길동"
    status = Shop.Status.APPROVED
    approved_at = factory.LazyFunction(timezone.now)
    public_code = factory.LazyFunction(lambda: secrets.token_urlsafe(12))

    @factory.post_generation
    def members(shop, create, extracted, **kwargs):
        if create:
            ShopMember.objects.get_or_create(
                shop=shop, user=shop.owner, defaults={"role": ShopMember.Role.OWNER}
            )


def add_clerk(shop, user):
    from accounts.roles import Role
    from accounts.services import role_grant

    ShopMember.objects.create(shop=shop, user=user, role=ShopMember.Role.CLERK)
    role_grant(user=user, role=Role.MERCHANT_CLERK)
    return user


def device_for(shop, name="카운터") -> tuple[Device, str]:
    from merchants.services import device_register

    return device_register(shop=shop, by=None, name=name)
