"""Shops, the people who run them, their counter devices, and the citizens' payment codes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    RESTAURANT = "restaurant", _("Restaurant")
    CAFE = "cafe", _("Café")
    BAKERY = "bakery", _("Bakery")
    GROCERY = "grocery", _("Grocery")
    BUTCHER = "butcher", _("Butcher")
    FISHMONGER = "fishmonger", _("Fishmonger")
    GREENGROCER = "greengrocer", _("Fruit and vegetables")
    CLOTHING = "clothing", _("Clothing")
    BEAUTY = "beauty", _("Hair and beauty")
    PHARMACY = "pharmacy", _("Pharmacy")
    BOOKSTORE = "bookstore", _("Bookstore")
    STATIONERY = "stationery", _("Stationery")
    HARDWARE = "hardware", _("Hardware")
    FLORIST = "florist", _("Florist")
    LAUNDRY = "laundry", _("Laundry")
    ACADEMY = "academy", _("Private academy")
    CRAFT = "craft", _("Crafts and souvenirs")
    LODGING = "lodging", _("Guesthouse and hanok stay")
    OTHER = "other", _("Other")
    # Excluded by default city policy (see ShopPolicy.excluded_categories):
    DEPARTMENT_STORE = "department_store", _("Department store")
    LARGE_MART = "large_mart", _("Large or corporate supermarket")
    ENTERTAINMENT = "entertainment", _("Entertainment venue")
    GOLF = "golf", _("Golf")
    JEWELLERY = "jewellery", _("Jewellery")
    ONLINE = "online", _("Online shop")


DEFAULT_EXCLUDED_CATEGORIES = [
    Category.DEPARTMENT_STORE,
    Category.LARGE_MART,
    Category.ENTERTAINMENT,
    Category.GOLF,
    Category.JEWELLERY,
    Category.ONLINE,
]


class SalesBracket(models.TextChoices):
    """Annual sales, as the tax office buckets them. Order matters: it is the shop's class."""

    UNDER_300M = "under_300m", _("Under 300 million won")
    UNDER_500M = "under_500m", _("300 to 500 million won")
    UNDER_1B = "under_1b", _("500 million to 1 billion won")
    UNDER_3B = "under_3b", _("1 to 3 billion won")
    OVER_3B = "over_3b", _("Over 3 billion won")

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)


class ShopPolicy(models.Model):
    """The city's rules for which shops may join. One row per city (the latest is in force)."""

    sales_ceiling = models.CharField(
        _("highest sales bracket allowed"),
        max_length=20,
        choices=SalesBracket.choices,
        default=SalesBracket.UNDER_3B,
    )
    excluded_categories = ArrayField(
        models.CharField(max_length=30, choices=Category.choices),
        default=list,
        blank=True,
        verbose_name=_("excluded categories"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shop policy")
        verbose_name_plural = _("shop policies")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"ShopPolicy #{self.pk}"


class Shop(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_shops"
    )
    name = models.CharField(_("shop name"), max_length=100)
    business_number = models.CharField(_("business registration number"), max_length=10)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    district = models.CharField(_("district (dong)"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20)
    sales_bracket = models.CharField(_("annual sales"), max_length=20, choices=SalesBracket.choices)
    bank_name = models.CharField(_("bank"), max_length=50)
    bank_account = models.CharField(_("settlement account number"), max_length=30)
    bank_holder = models.CharField(_("account holder"), max_length=50)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    status_reason = models.TextField(_("reason"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_shops",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    public_code = models.CharField(max_length=32, unique=True)
    # Held by the city while a suspected cash-out is investigated: the nightly settlement skips
    # the shop (its balance waits, whole, for the next settlement after the hold is lifted) and
    # the shop cannot pay other shops. Changed only by ``shop_settlement_hold``.
    settlement_held = models.BooleanField(_("settlement held"), default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business_number"], name="merchants_shop_brn_unique"),
            models.CheckConstraint(
                condition=Q(business_number__regex=r"^[0-9]{10}$"),
                name="merchants_shop_brn_digits",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "suspended", "closed"]),
                name="merchants_shop_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["district", "category"]),
        ]
        permissions = [
            ("manage_shop", "Can register and manage own shops"),
            ("serve_counter", "Can serve the counter of a shop"),
            ("view_payouts", "Can see a shop's payouts and statements"),
            ("review_shop", "Can approve, reject, suspend and close shops"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rejected(self) -> bool:
        """A registration refused by staff: closed without ever having been approved."""
        return self.status == self.Status.CLOSED and self.approved_at is None

    @property
    def bank_account_masked(self) -> str:
        digits = self.bank_account
        if len(digits) <= 4:
            return "*" * len(digits)
        return "*" * (len(digits) - 4) + digits[-4:]

    @property
    def business_number_display(self) -> str:
        n = self.business_number
        return f"{n[:3]}-{n[3:5]}-{n[5:]}"


class ShopMember(models.Model):
    """Who works at a shop. The owner has a row too, so one query answers "may X serve here"."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        CLERK = "clerk", _("Clerk")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="merchants_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop} ({self.role})"


class ClerkInvitation(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.shop}"


class Device(models.Model):
    """A counter phone or tablet. Its API token is shown once; only its SHA-256 is stored."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(_("device name"), max_length=50)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=12)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.shop})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PaymentCode(models.Model):
    """A citizen's one-time code, shown as a QR (signed token) and as 16 digits. Valid 3 minutes,
    spent by the first payment or redemption that uses it. Only hashes are stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_codes"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    number_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(db_default=Now())
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by_device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at_shop = models.ForeignKey(
        Shop, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"PaymentCode #{self.pk}"


class CodeLookupFailure(models.Model):
    """A failed code look-up at a counter: the log behind the anti-guessing limits."""

    class Reason(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown code")
        EXPIRED = "expired", _("Expired code")
        USED = "used", _("Used code")
        MALFORMED = "malformed", _("Malformed code")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, null=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    client_ip = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [
            models.Index(fields=["shop", "created_at"]),
            models.Index(fields=["device", "created_at"]),
            models.Index(fields=["actor", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reason} at {self.shop_id}"


class EligibilityRefusal(models.Model):
    """A registration that city policy refused; kept so staff see who tried and why."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shop_name = models.CharField(max_length=100)
    business_number = models.CharField(max_length=10)
    category = models.CharField(max_length=30, choices=Category.choices)
    sales_bracket = models.CharField(max_length=20, choices=SalesBracket.choices)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.shop_name}: {self.reason}"


class ShopEvent(models.Model):
    """Every status change of a shop, with who did it and why (what support staff read)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.action}"

    # What each recorded action is called on the pages (the column keeps the stable code).
    ACTION_LABELS = {
        "registered": _("Registered"),
        "profile_changed": _("Profile changed"),
        "approve": _("Approved"),
        "reject": _("Rejected"),
        "suspend": _("Suspended"),
        "close": _("Marked closed"),
        "resubmit": _("Sent for review again"),
        "clerk_joined": _("A clerk joined"),
        "clerk_removed": _("A clerk was removed"),
        "device_revoked": _("A counter device was revoked"),
        "settlement_hold": _("Settlement held for a review"),
        "settlement_release": _("Settlement hold lifted"),
    }

    @property
    def action_label(self) -> str:
        return str(self.ACTION_LABELS.get(self.action, self.action))

    @property
    def status_label(self) -> str:
        """The status the event left the shop in, as the pages name it ('' for none)."""
        if not self.to_status:
            return ""
        try:
            return str(Shop.Status(self.to_status).label)
        except ValueError:
            return self.to_status


class Statement(models.Model):
    """A shop's settlement of one business date (Asia/Seoul), written by the nightly run
    (``merchants.settlement``) in the same transaction as its payout entry.

    Unique per shop and date, and the payout's ledger key is ``settlement:<shop>:<date>``: a
    duplicate, concurrent or redelivered run cannot pay a shop twice for a day. Amounts are the
    shop's ``shop_payable`` postings: ``gross`` the sales of the day (wallet payments and
    prepayments, payments from other shops), ``cancellations`` what was taken back that day
    (cancellations, refunds, reversals), ``spent_onward`` what the shop paid other shops that day
    from its unsettled balance, ``carried_in`` the balance brought forward (negative after a
    late cancellation), ``payout_amount`` = max(0, carried_in + net - spent_onward) and
    ``carried_out`` what is left (≤ 0).
    """

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="statements")
    business_date = models.DateField(_("business date"))
    gross = models.BigIntegerField(_("sales (won)"), default=0)
    cancellations = models.BigIntegerField(_("cancellations and refunds (won)"), default=0)
    net = models.BigIntegerField(_("net sales (won)"), default=0)
    carried_in = models.BigIntegerField(_("brought forward (won)"), default=0)
    # Paid that day to other shops from the unsettled balance (shop-to-shop payments).
    spent_onward = models.BigIntegerField(_("paid to other shops (won)"), default=0)
    payout_amount = models.BigIntegerField(_("payout (won)"), default=0)
    carried_out = models.BigIntegerField(_("carried forward (won)"), default=0)
    postings = models.PositiveIntegerField(_("transactions"), default=0)
    payout_entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("transfer reference"), max_length=40)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-business_date", "shop_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "business_date"], name="merchants_statement_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(payout_amount__gte=0)
                & Q(gross__gte=0)
                & Q(cancellations__gte=0)
                & Q(spent_onward__gte=0)
                & Q(carried_out__lte=0)
                & Q(net=models.F("gross") - models.F("cancellations"))
                & Q(
                    payout_amount=models.F("carried_in")
                    + models.F("net")
                    - models.F("spent_onward")
                    - models.F("carried_out")
                ),
                name="merchants_statement_adds_up_onward",
            ),
        ]
        indexes = [models.Index(fields=["business_date"])]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.business_date}"


class TransferFile(models.Model):
    """The bank-transfer file of one business date: one CSV row per payout (bank, masked
    account, amount, reference). One per city (schema) and date."""

    business_date = models.DateField(_("business date"), unique=True)
    content = models.TextField()
    transfers = models.PositiveIntegerField(_("transfers"), default=0)
    total = models.BigIntegerField(_("total (won)"), default=0)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("bank-transfer file")
        verbose_name_plural = _("bank-transfer files")
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"transfers {self.business_date}"


class ShopPaymentPolicy(models.Model):
    """The city's rules for shop-to-shop payments. One row per change (the latest is in force);
    with no row the defaults below hold (``merchants.selectors.shop_payment_policy_current``)."""

    enabled = models.BooleanField(_("shops may pay other shops"), default=True)
    payee_categories = ArrayField(
        models.CharField(max_length=30, choices=Category.choices),
        default=list,
        blank=True,
        verbose_name=_("categories that may receive shop-to-shop payments"),
    )
    per_payment_limit = models.BigIntegerField(_("largest payment (won)"), default=5_000_000)
    daily_limit = models.BigIntegerField(
        _("most a shop may pay in a day (won)"), default=10_000_000
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shop-to-shop payment policy")
        verbose_name_plural = _("shop-to-shop payment policies")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(per_payment_limit__gt=0) & Q(daily_limit__gt=0),
                name="merchants_shoppaymentpolicy_limits_positive",
            )
        ]

    def __str__(self) -> str:
        return f"ShopPaymentPolicy #{self.pk}"


class ShopPayment(models.Model):
    """A shop paying another shop (a supplier, a neighbour) from its unsettled balance: one
    ``shop_payment`` ledger entry from the payer's ``shop_payable`` to the payee's. The payer's
    next settlement pays out only what is left (``Statement.spent_onward``)."""

    payer = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="payments_made")
    payee = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="payments_received")
    amount = models.BigIntegerField(_("amount (won)"))
    memo = models.CharField(_("memo"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    entry = models.OneToOneField(
        "ledger.Entry", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    business_date = models.DateField(_("business date"))
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("shop-to-shop payment")
        verbose_name_plural = _("shop-to-shop payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="merchants_shoppayment_positive"
            ),
            models.CheckConstraint(
                condition=~Q(payer=models.F("payee")), name="merchants_shoppayment_not_self"
            ),
        ]
        indexes = [models.Index(fields=["payer", "business_date"])]

    def __str__(self) -> str:
        return f"{self.payer_id} → {self.payee_id}: {self.amount}"
