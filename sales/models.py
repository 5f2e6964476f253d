"""A charge-day sale: a tranche of wallet charges at a discount, shared out in the city's chosen
way.

- ``Sale``: the tranche (amount, incentive rate, per-person limit, window, mode) and its state.
- ``SaleChunk``: the tranche split into chunks, each with ``amount = free + reserved + sold``
  held by a CHECK: the database refuses to reserve or sell a won more than the tranche. A
  reservation takes from one chunk, so reservations and payments of different tickets lock
  different rows (no single hot row).
- ``Ticket``: a citizen's place (one per citizen per sale, a UNIQUE), numbered in arrival order
  from the sale's own PostgreSQL sequence. ``order_key`` is the order in which tickets are
  admitted (the arrival number, or the draw's rank); ``target`` what the ticket may buy.
- ``TicketCharge``: every wallet charge made for a ticket (the callback finds its ticket here).
- ``SaleEvent``: who opened, paused, drew, closed, and when (support can read it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Sale(models.Model):
    class Mode(models.TextChoices):
        FCFS = "fcfs", _("First come, first served (waiting room)")
        LOTTERY = "lottery", _("Lottery among applicants")
        PRO_RATA = "pro_rata", _("Pro-rata share of each request")
        STAGGERED = "staggered", _("Staggered days by birth year")
        PRIORITY = "priority", _("Priority groups first")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        OPEN = "open", _("Open")
        PAUSED = "paused", _("Paused")
        DRAWN = "drawn", _("Allocated")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=100)
    amount = models.BigIntegerField(_("amount on sale (won)"))
    incentive_bp = models.PositiveIntegerField(_("incentive rate (basis points)"))
    per_person_limit = models.BigIntegerField(_("per-person limit (won)"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    mode = models.CharField(_("allocation mode"), max_length=20, choices=Mode.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    # Pacing: at most this many tickets admitted and not yet paid, admitted this many a tick.
    max_in_flight = models.PositiveIntegerField(_("admitted at once"), default=2_000)
    batch_size = models.PositiveIntegerField(_("admitted per step"), default=500)
    pay_minutes = models.PositiveIntegerField(_("minutes to pay once admitted"), default=10)
    priority_groups = models.JSONField(_("priority groups"), default=list, blank=True)
    # The lottery: the commitment (SHA-256 of the seed) is shown from the start, the seed at
    # the draw. The seed is kept from the start so that nobody chooses it after the window.
    seed = models.CharField(max_length=64, blank=True)
    seed_commitment = models.CharField(max_length=64, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    # The highest order key decided (admitted or refused): "ahead of you" counts from here.
    decided_through = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("charge-day sale")
        verbose_name_plural = _("charge-day sales")
        permissions = [("manage_sale", "Can set up and run charge-day sales")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(per_person_limit__gt=0),
                name="sales_sale_amounts",
            ),
            models.CheckConstraint(
                condition=Q(incentive_bp__lte=3000), name="sales_sale_incentive_at_most_30pc"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="sales_sale_window"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_window(self) -> bool:
        """Modes that collect applications first and allocate after the window closes."""
        return self.mode in (self.Mode.LOTTERY, self.Mode.PRO_RATA, self.Mode.PRIORITY)

    @property
    def sequence_name(self) -> str:
        return f"sales_sale_{self.pk}_ticket_seq"


class SaleChunk(models.Model):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveSmallIntegerField()
    amount = models.BigIntegerField()
    reserved = models.BigIntegerField(default=0)
    sold = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sale", "index"], name="sales_chunk_unique"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0)
                & Q(sold__gte=0)
                & Q(amount__gte=F("reserved") + F("sold")),
                name="sales_chunk_never_oversold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}/{self.index}"


class Ticket(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        ADMITTED = "admitted", _("Admitted: pay now")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired")
        NOT_ALLOCATED = "not_allocated", _("Not allocated")

    # Every ticket is an INSERT at a charge day's peak (600 a second): no index it does not
    # need. The sale is the first column of the UNIQUEs below; chunk and charge are empty
    # when a ticket is issued, so their indexes hold only the rows that have them.
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    number = models.BigIntegerField()
    order_key = models.BigIntegerField(null=True, blank=True)
    requested = models.BigIntegerField()
    target = models.BigIntegerField(default=0)
    allocated = models.BigIntegerField(default=0)
    state = models.CharField(max_length=20, choices=State.choices, default=State.WAITING)
    group = models.CharField(max_length=20, blank=True)
    birth_digit = models.PositiveSmallIntegerField(null=True, blank=True)
    chunk = models.ForeignKey(
        SaleChunk, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    charge = models.ForeignKey(
        "vouchers.Charge",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    arrived_at = models.DateTimeField(auto_now_add=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sale", "user"], name="sales_ticket_one_per_citizen"),
            models.UniqueConstraint(fields=["sale", "number"], name="sales_ticket_number"),
            models.CheckConstraint(
                condition=Q(requested__gt=0) & Q(allocated__gte=0) & Q(target__gte=0),
                name="sales_ticket_amounts",
            ),
            # A ticket holding a reservation or a purchase names its chunk.
            models.CheckConstraint(
                condition=~Q(state__in=["admitted", "paid"])
                | (Q(chunk__isnull=False) & Q(allocated__gt=0)),
                name="sales_ticket_held_in_a_chunk",
            ),
            models.CheckConstraint(
                condition=Q(birth_digit__isnull=True) | Q(birth_digit__lte=9),
                name="sales_ticket_birth_digit",
            ),
        ]
        indexes = [
            models.Index(
                fields=["sale", "order_key"],
                condition=Q(state="waiting"),
                name="sales_ticket_waiting",
            ),
            models.Index(
                fields=["sale", "expires_at"],
                condition=Q(state="admitted"),
                name="sales_ticket_admitted",
            ),
            # The admission step's "decided through" (the last ticket decided, in order): one
            # index entry instead of reading every decided ticket each half second. Arrivals
            # insert waiting tickets and add nothing here.
            models.Index(
                fields=["sale", "order_key"],
                condition=~Q(state="waiting"),
                name="sales_ticket_decided",
            ),
            models.Index(
                fields=["chunk"], condition=Q(chunk__isnull=False), name="sales_ticket_chunk"
            ),
            models.Index(
                fields=["charge"], condition=Q(charge__isnull=False), name="sales_ticket_charge"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}#{self.number}"


class TicketCharge(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="charges")
    charge = models.OneToOneField("vouchers.Charge", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.charge_id}"


class SaleEvent(models.Model):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.sale_id} {self.kind}"
