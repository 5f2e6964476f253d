"""Card and paper certificates, and the desks where people without a smartphone are served.

- A ``Card`` is a 16-digit number (Luhn check digit) linked to the citizen's wallet, with a PIN
  of its own. The money stays in the wallet: a card pays through ``wallet_pay()`` like the
  phone, and a replacement card simply points at the same wallet. At most one active card per
  citizen (a partial unique index).
- Paper notes (``Note``) are printed in a ``NoteBatch`` of one face value. A note's check code
  is an HMAC of its serial under the city's key (``cards.notes``), so the printed sheet is the
  only place it exists. A note goes stock → sold → redeemed once (``NoteRedemption.note`` is
  unique: the database refuses a second redemption), or is cancelled with its batch.
- A ``Desk`` is a partner bank branch or a community centre (행정복지센터). Its cash is a ledger
  account (a clearing account named ``desk:<id>``) that the end-of-day close (``DeskClose``)
  settles into the float. Every assisted action names the staff member (``AssistedAction``).

Ledger accounts used (no new kinds; see docs/cards.md):

====================================  ===================================================
provider_clearing ``desk:<id>``       minus the cash the desk took and has not handed over
provider_clearing ``paper_notes`` #n  the face value of sold notes not yet redeemed
====================================  ===================================================
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

NOTE_FACE_VALUES = (5_000, 10_000, 50_000)
PAPER_NOTES_PROVIDER = "paper_notes"


class Desk(models.Model):
    class Kind(models.TextChoices):
        BANK_BRANCH = "bank_branch", _("Partner bank branch")
        COMMUNITY_CENTRE = "community_centre", _("Community centre")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="desks", blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        permissions = [("manage_cards", "Can manage cards, paper notes and desks")]

    def __str__(self) -> str:
        return self.name

    @property
    def cash_provider(self) -> str:
        """The name of the desk's cash account (a clearing account of the ledger)."""
        return f"desk:{self.pk}"


class Card(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")

    number = models.CharField(_("card number"), max_length=16, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    pin_hash = models.CharField(max_length=128)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    desk = models.ForeignKey(Desk, null=True, blank=True, on_delete=models.PROTECT)
    issued_at = models.DateTimeField(db_default=Now())
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    block_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        constraints = [
            models.CheckConstraint(condition=Q(number__regex=r"^[0-9]{16}$"), name="cards_number"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="active"), name="cards_one_active_per_user"
            ),
            models.CheckConstraint(
                condition=Q(status="active", blocked_at__isnull=True)
                | Q(status="blocked", blocked_at__isnull=False),
                name="cards_blocked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.masked

    @property
    def masked(self) -> str:
        return f"{self.number[:4]}-****-****-{self.number[-4:]}"


class CardPayment(models.Model):
    """Which wallet payment was made with which card (the payment itself is the wallet's)."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="payments")
    payment = models.OneToOneField("vouchers.Payment", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"{self.card} → {self.payment_id}"


class NoteBatch(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    face_value = models.PositiveIntegerField(_("face value (won)"))
    count = models.PositiveIntegerField(_("number of notes"))
    expires_on = models.DateField(_("valid until"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("batch of paper notes")
        verbose_name_plural = _("batches of paper notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(face_value__in=NOTE_FACE_VALUES), name="cards_batch_face_value"
            ),
            models.CheckConstraint(
                condition=Q(count__gte=1, count__lte=10_000), name="cards_batch_count"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.face_value:,} × {self.count}"


class NoteSale(models.Model):
    """Notes sold to an identified citizen at a bank desk: the face value counts toward the
    month's purchase limit, the discount is the wallet's charging incentive."""

    desk = models.ForeignKey(Desk, on_delete=models.PROTECT, related_name="+")
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    face_total = models.BigIntegerField()
    discount = models.BigIntegerField()
    price = models.BigIntegerField()
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(price=models.F("face_total") - models.F("discount"))
                & Q(discount__gte=0)
                & Q(price__gt=0),
                name="cards_sale_price",
            )
        ]

    def __str__(self) -> str:
        return f"sale {self.pk}: {self.face_total:,}"


class Note(models.Model):
    class Status(models.TextChoices):
        STOCK = "stock", _("In stock")
        SOLD = "sold", _("Sold")
        REDEEMED = "redeemed", _("Redeemed")
        CANCELLED = "cancelled", _("Cancelled")

    batch = models.ForeignKey(NoteBatch, on_delete=models.PROTECT, related_name="notes")
    serial = models.CharField(max_length=14, unique=True)
    face_value = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STOCK)
    sale = models.ForeignKey(
        NoteSale, null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(face_value__in=NOTE_FACE_VALUES), name="cards_note_face_value"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["stock", "cancelled"], sale__isnull=True)
                | Q(status__in=["sold", "redeemed"], sale__isnull=False),
                name="cards_note_sold_has_sale",
            ),
        ]
        indexes = [models.Index(fields=["face_value", "status"], name="cards_note_stock_idx")]

    def __str__(self) -> str:
        return self.serial


class NoteRedemption(models.Model):
    """A note accepted by a shop. One per note, enforced by the database."""

    note = models.OneToOneField(Note, on_delete=models.PROTECT, related_name="redemption")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(
        "merchants.Device", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    created_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"{self.note_id} at {self.shop_id}"


class DeskCharge(models.Model):
    """Money a citizen handed over at a desk (cash, or a bank transfer the desk saw arrive),
    credited to the wallet with the wallet's limits and charging incentive."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        TRANSFER = "transfer", _("Bank transfer")

    desk = models.ForeignKey(Desk, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(Card, null=True, blank=True, on_delete=models.PROTECT)
    method = models.CharField(max_length=10, choices=Method.choices)
    amount = models.BigIntegerField()
    incentive = models.BigIntegerField(default=0)
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    incentive_entry = models.OneToOneField(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_date = models.DateField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cards_desk_charge_amount")
        ]

    def __str__(self) -> str:
        return f"desk charge {self.pk}: {self.amount:,}"

    @property
    def receipt_number(self) -> str:
        return f"D{self.desk_id:03d}-{self.business_date:%Y%m%d}-{self.pk:06d}"


class DeskClose(models.Model):
    """The end of a desk's day: the cash the ledger says it took, what was counted, and the
    hand-over of that cash to the city's account (the float)."""

    desk = models.ForeignKey(Desk, on_delete=models.PROTECT, related_name="closes")
    business_date = models.DateField()
    expected = models.BigIntegerField()
    counted = models.BigIntegerField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.OneToOneField(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["desk", "business_date"], name="cards_close_once"),
            models.CheckConstraint(
                condition=Q(expected__gte=0, counted__gte=0), name="cards_close_amounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.desk_id} {self.business_date}"

    @property
    def difference(self) -> int:
        return self.counted - self.expected


class AssistedAction(models.Model):
    """One thing a desk's staff member did for a citizen (support staff read these)."""

    class Kind(models.TextChoices):
        ACCOUNT_CREATED = "account_created", _("Account created")
        CARD_ISSUED = "card_issued", _("Card issued")
        CARD_BLOCKED = "card_blocked", _("Card blocked")
        CARD_REPLACED = "card_replaced", _("Card replaced")
        CHARGE = "charge", _("Wallet charged")
        NOTES_SOLD = "notes_sold", _("Paper notes sold")
        DESK_CLOSED = "desk_closed", _("Desk closed for the day")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    desk = models.ForeignKey(Desk, null=True, blank=True, on_delete=models.PROTECT)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["citizen", "created_at"], name="cards_action_citizen")]

    def __str__(self) -> str:
        return f"{self.kind} by {self.staff_id}"
