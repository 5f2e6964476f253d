"""Reads about shops shared by pages, the API and other apps."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .exceptions import ShopNotFoundError, ShopPermissionError
from .models import (
    DEFAULT_EXCLUDED_CATEGORIES,
    Category,
    Device,
    SalesBracket,
    Shop,
    ShopMember,
    ShopPayment,
    ShopPaymentPolicy,
    ShopPolicy,
)


def shop_policy_current() -> ShopPolicy:
    """The city's shop policy in force (an unsaved default if staff never set one). The latest
    by time: ids are not in time order when a city's rows are written on more than one node."""
    policy = ShopPolicy.objects.order_by("-created_at", "-id").first()
    if policy is None:
        policy = ShopPolicy(
            sales_ceiling=SalesBracket.UNDER_3B,
            excluded_categories=[str(c) for c in DEFAULT_EXCLUDED_CATEGORIES],
        )
    return policy


def shops_of_user(user) -> QuerySet[Shop]:
    """Shops where ``user`` is owner or clerk."""
    return Shop.objects.filter(members__user=user).distinct().order_by("name")


def member_role(*, user, shop: Shop) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return ShopMember.objects.filter(shop=shop, user=user).values_list("role", flat=True).first()


def shop_for_member(*, user, shop_id: int, roles=("owner", "clerk")) -> Shop:
    """The shop ``shop_id`` if ``user`` works there with one of ``roles``.

    A shop the user has nothing to do with is ``ShopNotFoundError`` (404, it reveals nothing);
    a shop where the user's role is too small is ``ShopPermissionError`` (403).
    """
    shop = Shop.objects.filter(pk=shop_id).first()
    role = member_role(user=user, shop=shop) if shop else None
    if shop is None or role is None:
        raise ShopNotFoundError()
    if role not in roles:
        raise ShopPermissionError()
    return shop


def shops_for_review(*, status: str | None = None, query: str = "") -> QuerySet[Shop]:
    qs = Shop.objects.select_related("owner").order_by("created_at")
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(business_number__contains=query.replace("-", ""))
            | Q(district__icontains=query)
        )
    return qs


def shops_search(
    *, district: str = "", category: str = "", query: str = "", approved_only: bool = True
) -> QuerySet[Shop]:
    qs = Shop.objects.all()
    if approved_only:
        qs = qs.filter(status=Shop.Status.APPROVED)
    if district:
        qs = qs.filter(district=district)
    if category:
        qs = qs.filter(category=category)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(address__icontains=query))
    return qs.order_by("district", "name")


def districts() -> list[str]:
    return list(
        Shop.objects.filter(status=Shop.Status.APPROVED)
        .order_by("district")
        .values_list("district", flat=True)
        .distinct()
    )


def devices_of_shop(shop: Shop) -> QuerySet[Device]:
    return shop.devices.select_related("registered_by").order_by("revoked_at", "-created_at")


def category_label(value: str) -> str:
    try:
        return str(Category(value).label)
    except ValueError:
        return value


def shop_payment_policy_current() -> ShopPaymentPolicy:
    """The city's shop-to-shop payment rules in force (an unsaved default if staff never set
    them: enabled, every category the shop policy allows, 5,000,000 won a payment and
    10,000,000 won a day)."""
    policy = ShopPaymentPolicy.objects.order_by("-created_at", "-id").first()
    if policy is None:
        excluded = set(shop_policy_current().excluded_categories)
        policy = ShopPaymentPolicy(
            payee_categories=[c for c in Category.values if c not in excluded]
        )
    return policy


def shop_by_code(code: str) -> Shop | None:
    """The shop whose public code is ``code``, or whose QR address (…/pay/<code>/) was pasted."""
    text = (code or "").strip().rstrip("/")
    text = text.rsplit("/", 1)[-1]
    if not text or len(text) > 32:
        return None
    return Shop.objects.filter(public_code=text).first()


def shop_payments_of(shop: Shop, *, limit: int = 50) -> QuerySet[ShopPayment]:
    """Payments the shop made to, or received from, other shops, newest first."""
    return (
        ShopPayment.objects.filter(Q(payer=shop) | Q(payee=shop))
        .select_related("payer", "payee")
        .order_by("-created_at", "-id")[:limit]
    )


def shop_unsettled(shop: Shop) -> int:
    """What the city owes the shop now and has not settled (its ``shop_payable`` balance)."""
    from ledger.models import Account

    row = Account.objects.filter(kind=Account.Kind.SHOP_PAYABLE, owner_shop_id=shop.pk).values_list(
        "balance", flat=True
    )
    return int(row.first() or 0)
