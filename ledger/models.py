"""The double-entry ledger of one city. Every won in the system is a posting here.

Accounts and their signs
------------------------
A balance is the sum of the account's postings; the postings of every entry sum to zero, so the
balances of all accounts of a city always sum to zero. Accounts that hold money *for* someone are
positive and may not go negative (the database refuses it):

==================  =====================  ===============================================
kind                owner                  meaning of a positive balance
==================  =====================  ===============================================
wallet_principal    citizen                charged money the citizen can spend or refund
wallet_incentive    citizen                incentive and cashback the citizen can spend
wallet_grant        citizen (shard: the    a grant (e.g. disaster basic income) the citizen
                    grant programme's id)  can spend at the programme's shops until its
                                           deadline; never refunded in cash
prepaid             citizen × shop         prepaid value the citizen can redeem at the shop
shop_payable        shop                   sales the city owes the shop (settled nightly;
                                           may go negative after a late cancellation)
shop_payouts        shop                   paid out to the shop's bank account (cumulative)
incentive_budget    (shard n)              incentive budget left, split into shards so that
                                           grants to different citizens do not queue on one row
grant_budget        (shard: programme id)  grant money left (e.g. disaster basic income)
guarantee_fund      —                      money to compensate citizens of closed shops
workplace_budget    (shard = round id)     a job-retention pledge round's incentive money left
employer_receivable employer (user)        incentive clawed back that the employer owes
gift_held_principal citizen (the sender)   principal of the citizen's gifts not yet claimed
gift_held_incentive citizen (the sender)   incentive of the citizen's gifts not yet claimed
community_fund      —                      the city's community fund (donations in, grants
                                           to good causes out; its balance is public)
==================  =====================  ===============================================

Counterpart accounts may go negative; their negative balance is money that came from outside:

==================  =====================  ===============================================
float               (shard n)              minus the citizens' cash the city holds
                                           (charges in, refunds out), kept separately;
                                           sharded like the budget so charges do not queue
prepaid_issued      shop                   minus the prepaid value the shop still owes
provider_clearing   provider (shard n)     minus what a payment provider (PG) owes the city:
                                           card money in, card refunds out, the provider's
                                           payouts to the float's bank account; compared with
                                           the provider's own records every night
outside_world       —                      minus the city money put into budgets and funds
==================  =====================  ===============================================

Entries and postings are append-only (triggers refuse UPDATE, DELETE and TRUNCATE); a mistake is
corrected by a reversing entry. See ``migrations/0002_ledger_rules.py`` for what PostgreSQL
enforces and ``services.py`` for the only code that writes here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    class Kind(models.TextChoices):
        WALLET_PRINCIPAL = "wallet_principal", _("Wallet principal")
        WALLET_INCENTIVE = "wallet_incentive", _("Wallet incentive")
        WALLET_GRANT = "wallet_grant", _("Wallet grant")
        PREPAID = "prepaid", _("Prepaid balance at a shop")
        PREPAID_ISSUED = "prepaid_issued", _("Prepaid value issued by a shop")
        SHOP_PAYABLE = "shop_payable", _("Shop payable")
        SHOP_PAYOUTS = "shop_payouts", _("Shop payouts")
        FLOAT = "float", _("Float (citizens' prepaid cash)")
        INCENTIVE_BUDGET = "incentive_budget", _("Incentive budget")
        GRANT_BUDGET = "grant_budget", _("Grant budget")
        GUARANTEE_FUND = "guarantee_fund", _("Guarantee fund")
        OUTSIDE_WORLD = "outside_world", _("Outside world")
        PROVIDER_CLEARING = "provider_clearing", _("Payment provider clearing")
        WORKPLACE_BUDGET = "workplace_budget", _("Workplace incentive budget")
        EMPLOYER_RECEIVABLE = "employer_receivable", _("Employer receivable (clawback)")
        GIFT_HELD_PRINCIPAL = "gift_held_principal", _("Gift held (principal)")
        GIFT_HELD_INCENTIVE = "gift_held_incentive", _("Gift held (incentive)")
        COMMUNITY_FUND = "community_fund", _("Community fund")

    USER_KINDS = (Kind.WALLET_PRINCIPAL, Kind.WALLET_INCENTIVE, Kind.WALLET_GRANT)
    GIFT_HELD_KINDS = (Kind.GIFT_HELD_PRINCIPAL, Kind.GIFT_HELD_INCENTIVE)
    SHOP_KINDS = (Kind.SHOP_PAYABLE, Kind.SHOP_PAYOUTS, Kind.PREPAID_ISSUED)
    SYSTEM_KINDS = (
        Kind.FLOAT,
        Kind.INCENTIVE_BUDGET,
        Kind.GRANT_BUDGET,
        Kind.GUARANTEE_FUND,
        Kind.OUTSIDE_WORLD,
        Kind.COMMUNITY_FUND,
    )
    NEGATIVE_KINDS = (
        Kind.FLOAT,
        Kind.PREPAID_ISSUED,
        Kind.OUTSIDE_WORLD,
        Kind.SHOP_PAYABLE,
        Kind.PROVIDER_CLEARING,
    )

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
        db_index=False,  # the one-per-owner unique index leads with it
    )
    # The shop's id, without a foreign key: the ledger sits below the shops in the layers and
    # knows an owner only by number (shops are never deleted; they close).
    owner_shop_id = models.BigIntegerField(null=True, blank=True)
    shard = models.PositiveSmallIntegerField(default=0)
    # The payment provider a ``provider_clearing`` account is for (e.g. "sandbox", "toss");
    # empty for every other kind.
    provider = models.CharField(max_length=30, blank=True, default="", db_default="")
    balance = models.BigIntegerField(_("balance (won)"), default=0)
    may_go_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(may_go_negative=True) | Q(balance__gte=0),
                name="ledger_account_no_overdraft",
            ),
            # Led by the owner: finding a citizen's accounts is an index look-up whatever the
            # kind; system accounts (no owner) are found by their NULLs, kind and shard.
            models.UniqueConstraint(
                fields=["owner_user", "owner_shop_id", "kind", "shard", "provider"],
                name="ledger_account_one_per_owner",
                nulls_distinct=False,
            ),
            # Each kind has exactly the owner its meaning needs.
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=[
                            "wallet_principal",
                            "wallet_incentive",
                            "wallet_grant",
                            "employer_receivable",
                            "gift_held_principal",
                            "gift_held_incentive",
                        ],
                        owner_user__isnull=False,
                        owner_shop_id__isnull=True,
                    )
                    | Q(kind="prepaid", owner_user__isnull=False, owner_shop_id__isnull=False)
                    | Q(
                        kind__in=["shop_payable", "shop_payouts", "prepaid_issued"],
                        owner_user__isnull=True,
                        owner_shop_id__isnull=False,
                    )
                    | Q(
                        kind__in=[
                            "float",
                            "incentive_budget",
                            "grant_budget",
                            "guarantee_fund",
                            "outside_world",
                            "workplace_budget",
                            "community_fund",
                        ],
                        owner_user__isnull=True,
                        owner_shop_id__isnull=True,
                    )
                    | Q(
                        kind="provider_clearing",
                        owner_user__isnull=True,
                        owner_shop_id__isnull=True,
                    )
                )
                & (Q(kind="provider_clearing", provider__gt="") | Q(provider="")),
                name="ledger_account_owner_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["owner_shop_id", "kind"], name="ledger_acco_owner_s_519e2a_idx")
        ]
        permissions = [("view_ledger", "Can read the ledger and its checks")]

    def __str__(self) -> str:
        owner = self.owner_user_id or ""
        if self.owner_shop_id:
            owner = f"{owner}/shop {self.owner_shop_id}" if owner else f"shop {self.owner_shop_id}"
        shard = (
            f" #{self.shard}"
            if self.kind
            in (
                self.Kind.INCENTIVE_BUDGET,
                self.Kind.FLOAT,
                self.Kind.WALLET_GRANT,
                self.Kind.GRANT_BUDGET,
            )
            else ""
        )
        if self.provider:
            owner = f"{self.provider} #{self.shard}"
        return f"{self.get_kind_display()}{shard} {owner}".strip()


class Entry(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        PAYMENT = "payment", _("Payment")
        CASHBACK = "cashback", _("Cashback")
        INCENTIVE = "incentive", _("Charging incentive")
        PLEDGE = "pledge", _("Prepayment pledge")
        REDEMPTION = "redemption", _("Redemption")
        REFUND = "refund", _("Refund")
        CANCELLATION = "cancellation", _("Cancellation")
        SETTLEMENT = "settlement", _("Settlement")
        EXPIRY = "expiry", _("Expiry")
        GRANT = "grant", _("Grant")
        FUNDING = "funding", _("Budget funding")
        REVERSAL = "reversal", _("Reversal")
        ADJUSTMENT = "adjustment", _("Adjustment")
        PROVIDER_PAYOUT = "provider_payout", _("Payout from a payment provider")
        WORKPLACE_INCENTIVE = "workplace_incentive", _("Job-retention incentive")
        CLAWBACK = "clawback", _("Clawback")
        GIFT = "gift", _("Gift")
        DONATION = "donation", _("Donation")
        FUND_GRANT = "fund_grant", _("Grant from the community fund")
        SHOP_PAYMENT = "shop_payment", _("Shop-to-shop payment")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    business_date = models.DateField(_("business date (Asia/Seoul)"))
    created_at = models.DateTimeField(db_default=Now())
    # Who and what made it. Not indexed: every index is paid on every posting, and these are
    # read one entry at a time.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    device_id = models.BigIntegerField(null=True, blank=True)  # the counter device, by number
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64)

    # Not a column: set by ``entry_post`` (True when the key had posted this entry before).
    replayed: bool = False

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["business_date", "kind"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.business_date}"


class Posting(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="postings")
    # Indexed by (account, business_date) below, which also serves look-ups by account alone.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="postings", db_index=False
    )
    amount = models.BigIntegerField(_("amount (won)"))
    # Copied from the entry so that a day's postings of an account are one index range.
    business_date = models.DateField()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_nonzero"),
        ]
        indexes = [models.Index(fields=["account", "business_date"])]

    def __str__(self) -> str:
        return f"{self.amount:+,} → {self.account_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a money-moving request, replayed for every retry with its key.

    Inserted in the same transaction as the postings, so either both exist or neither does. A
    concurrent duplicate blocks on the unique index until the first commits, then replays it.
    ``scope`` keeps one client's keys apart from another's (e.g. ``device:7``, ``user:12``).
    """

    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=201)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="ledger_idempotency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
