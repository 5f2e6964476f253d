"""Every change to campaigns, organisations, pledges and prepaid balances.

Locks, in this order whenever a transaction takes several: the campaign-shop row (the cap per
shop), the citizen's user row (the cap per citizen), the citizen's pledge rows at the shop (in id
order), the prepaid accounts (``prepaid`` citizen × shop, then ``prepaid_issued`` of the shop, in
id order), then what ``vouchers.services.wallet_pay`` locks (usage row, wallet accounts, the
shop's payable). Keeping the prepaid accounts before the payable means a pledge and a mixed
redemption at one shop queue rather than deadlock.
"""

from __future__ import annotations

import logging
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from jeonju_prepay.exceptions import ApplicationError
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.money import apply_rate, parse_amount
from ledger.services import (
    AccountSpec,
    Idem,
    IdempotentResult,
    Leg,
    account_get_or_create,
    accounts_lock_spec,
    business_date_today,
    entry_post,
    entry_reverse,
    idempotency_replay,
    idempotent,
    retried,
    with_retries,
)
from merchants.exceptions import ShopNotApprovedError, ShopPermissionError
from merchants.models import Device, Shop, ShopMember
from merchants.services import ResolvedCode
from messaging.services import message_request
from vouchers import services as wallet
from vouchers.models import Charge, Payment, ProviderCall, ProviderDiscrepancy

from . import selectors
from .exceptions import (
    CampaignError,
    InsufficientPrepaidError,
    InvitationCodeError,
    NotInPhaseError,
    PaymentOwnedError,
    PledgeLimitError,
    PledgeNotCancellableError,
    PledgeRefusedError,
    RedemptionNotCancellableError,
    ShopNotInCampaignError,
)
from .models import (
    Campaign,
    CampaignShop,
    Membership,
    Organisation,
    Phase,
    Pledge,
    PledgeEvent,
    Redemption,
)

logger = logging.getLogger(__name__)

PLEDGE_CANCEL_DAYS = 7


def _require_manager(by: User | None) -> None:
    if by is not None and not by.has_perm("campaigns.manage_campaign"):
        raise CampaignError(_("Only city staff run campaigns."), code="forbidden")


# --- Campaigns, phases, organisations, shops ---------------------------------------------------


@transaction.atomic
def campaign_create(
    *, by: User | None, name: str, starts_on: date, ends_on: date, **rules
) -> Campaign:
    _require_manager(by)
    if ends_on < starts_on:
        raise CampaignError(_("The campaign ends before it starts."))
    campaign = Campaign(
        name=name.strip(), starts_on=starts_on, ends_on=ends_on, created_by=by, **rules
    )
    if campaign.min_pledge <= 0 or campaign.max_pledge < campaign.min_pledge:
        raise CampaignError(_("The pledge minimum must be positive and at most the maximum."))
    if campaign.max_per_citizen < campaign.min_pledge:
        raise CampaignError(_("The limit per citizen must allow at least one pledge."))
    campaign.save()
    return campaign


@transaction.atomic
def phase_add(
    *,
    by: User | None,
    campaign: Campaign,
    number: int,
    name: str,
    starts_on: date,
    ends_on: date,
    members_only: bool = False,
    target_participants: int = 0,
    target_amount: int = 0,
) -> Phase:
    _require_manager(by)
    if ends_on < starts_on or starts_on < campaign.starts_on or ends_on > campaign.ends_on:
        raise CampaignError(_("A phase lies within its campaign's dates."))
    overlapping = campaign.phases.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
    if overlapping.exists():
        raise CampaignError(_("Phases of a campaign do not overlap."))
    return Phase.objects.create(
        campaign=campaign,
        number=number,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        members_only=members_only,
        target_participants=target_participants,
        target_amount=target_amount,
    )


def organisation_create(*, by: User | None, name: str, kind: str, campaigns=()) -> Organisation:
    _require_manager(by)
    if kind not in Organisation.Kind.values:
        raise CampaignError(_("Choose the kind of organisation from the list."))
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name.strip(), kind=kind, invite_code=_new_invite_code()
        )
        organisation.campaigns.set(campaigns)
    return organisation


def _new_invite_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(8))
        if not Organisation.objects.filter(invite_code=code).exists():
            return code


def organisation_join(*, user: User, invite_code: str) -> Membership:
    """A citizen joins an organisation with its invitation code; their pledges count for it."""
    code = (invite_code or "").strip().upper().replace("-", "").replace(" ", "")
    organisation = Organisation.objects.filter(invite_code=code).first() if code else None
    if organisation is None:
        raise InvitationCodeError()
    membership, _created = Membership.objects.get_or_create(organisation=organisation, user=user)
    return membership


def campaign_shop_join(
    *, shop: Shop, by: User, campaign: Campaign, bonus_bp: int = 0
) -> CampaignShop:
    """A shop owner opts the shop into a campaign, with an optional bonus it pays itself."""
    if not ShopMember.objects.filter(shop=shop, user=by, role=ShopMember.Role.OWNER).exists():
        raise ShopPermissionError(_("Only the shop's owner can join a campaign."))
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotApprovedError()
    if not 0 <= int(bonus_bp) <= 3000:
        raise CampaignError(_("A bonus is between 0% and 30%."))
    if campaign.ends_on < business_date_today():
        raise CampaignError(_("This campaign has ended."))
    entry, created = CampaignShop.objects.get_or_create(
        campaign=campaign, shop=shop, defaults={"bonus_bp": bonus_bp}
    )
    if not created:
        entry.bonus_bp = bonus_bp
        entry.active = True
        entry.save(update_fields=["bonus_bp", "active"])
    return entry


def campaign_shop_leave(*, shop: Shop, by: User, campaign: Campaign) -> None:
    if not ShopMember.objects.filter(shop=shop, user=by, role=ShopMember.Role.OWNER).exists():
        raise ShopPermissionError(_("Only the shop's owner can leave a campaign."))
    CampaignShop.objects.filter(campaign=campaign, shop=shop).update(active=False)


# --- Pledges ---------------------------------------------------------------------------------


def phase_on(campaign: Campaign, day: date) -> Phase | None:
    return campaign.phases.filter(starts_on__lte=day, ends_on__gte=day).first()


@dataclass(frozen=True)
class PledgeTerms:
    phase: Phase
    campaign_shop: CampaignShop
    organisation: Organisation | None
    amount: int
    bonus: int

    @property
    def value(self) -> int:
        return self.amount + self.bonus


# What the limits count lives with the reads that show the room left (selectors.LIMIT_COUNTED).
COUNTED = selectors.LIMIT_COUNTED


def pledge_terms(
    *,
    user: User,
    campaign: Campaign,
    shop: Shop,
    amount,
    day: date | None = None,
    exclude: Pledge | None = None,
) -> PledgeTerms:
    """Check a pledge against the campaign's rules; return what it would be. Raises a
    ``PledgeRefusedError`` subclass with a clear message for every refusal. The caller holds the
    campaign-shop and user locks when it is about to pledge (the totals are read here)."""
    day = day or business_date_today()
    amount = parse_amount(amount)
    if not campaign.starts_on <= day <= campaign.ends_on:
        raise NotInPhaseError(
            _("The campaign runs from %(start)s to %(end)s.")
            % {"start": campaign.starts_on, "end": campaign.ends_on}
        )
    phase = phase_on(campaign, day)
    if phase is None:
        raise NotInPhaseError(_("No phase of this campaign is open today."))
    organisation = selectors.organisation_of(user=user, campaign=campaign)
    if phase.members_only and organisation is None:
        raise NotInPhaseError(
            _(
                "%(phase)s is open to members of the participating organisations. Join yours "
                "with its invitation code."
            )
            % {"phase": phase.name}
        )
    campaign_shop = CampaignShop.objects.filter(campaign=campaign, shop=shop, active=True).first()
    if campaign_shop is None:
        raise ShopNotInCampaignError()
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotApprovedError()
    if not campaign.min_pledge <= amount <= campaign.max_pledge:
        raise PledgeLimitError(
            _("A pledge is between %(min)s and %(max)s won.")
            % {"min": f"{campaign.min_pledge:,}", "max": f"{campaign.max_pledge:,}"}
        )
    pledged = selectors.pledged_by_citizen(campaign=campaign, user=user, exclude=exclude)
    if pledged + amount > campaign.max_per_citizen:
        raise PledgeLimitError(
            _("You can pledge %(left)s won more in this campaign (at most %(max)s won each).")
            % {
                "left": f"{max(0, campaign.max_per_citizen - pledged):,}",
                "max": f"{campaign.max_per_citizen:,}",
            }
        )
    if campaign.cap_per_shop is not None:
        at_shop = selectors.pledged_at_shop(campaign=campaign, shop=shop, exclude=exclude)
        if at_shop + amount > campaign.cap_per_shop:
            raise PledgeLimitError(
                _("This shop can take %(left)s won more in this campaign.")
                % {"left": f"{max(0, campaign.cap_per_shop - at_shop):,}"}
            )
    bonus = apply_rate(amount, campaign_shop.bonus_bp)
    return PledgeTerms(phase, campaign_shop, organisation, amount, bonus)


def _lock_for_pledge(*, campaign_shop: CampaignShop, user: User) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM campaigns_campaignshop WHERE id = %s FOR UPDATE", [campaign_shop.pk]
        )
        cursor.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR UPDATE", [user.pk])


def _prepaid_specs(user_id: int, shop_id: int):
    return [
        (Account.Kind.PREPAID, user_id, shop_id, 0),
        (Account.Kind.PREPAID_ISSUED, None, shop_id, 0),
    ]


def _post_prepaid(*, pledge: Pledge, key: str, actor=None) -> Entry:
    (prepaid_id, _balance), (issued_id, _issued) = accounts_lock_spec(
        _prepaid_specs(pledge.user_id, pledge.shop_id)
    )
    return entry_post(
        kind=Entry.Kind.PLEDGE,
        legs=[Leg(prepaid_id, pledge.value), Leg(issued_id, -pledge.value)],
        idempotency_key=key,
        actor=actor,
        memo=f"pledge #{pledge.pk}",
        business_date=pledge.business_date,
        savepoint=False,
    )


def pledge_body(pledge: Pledge) -> dict:
    balance = (
        Account.objects.filter(
            kind=Account.Kind.PREPAID, owner_user_id=pledge.user_id, owner_shop_id=pledge.shop_id
        )
        .values_list("balance", flat=True)
        .first()
    )
    return {
        "pledge_id": pledge.pk,
        "campaign": pledge.campaign_id,
        "shop": pledge.shop_id,
        "amount": pledge.amount,
        "bonus": pledge.bonus,
        "value": pledge.value,
        "status": pledge.status,
        "valid_until": pledge.valid_until.isoformat(),
        "prepaid_balance": int(balance or 0),
    }


def pledge_with_wallet(
    *, user: User, campaign: Campaign, shop: Shop, amount, pin, idem: Idem
) -> IdempotentResult:
    """Pledge paid from the wallet (a wallet payment to the shop, which earns cashback like any
    other), creating a prepaid balance at the shop worth the amount plus the shop's bonus."""
    amount = parse_amount(amount)
    replay = idempotency_replay(idem)
    if replay is not None:
        return replay
    pledge_terms(user=user, campaign=campaign, shop=shop, amount=amount)  # refuse early
    wallet.pin_verify(user=user, pin=pin)

    def operation() -> tuple[int, dict]:
        today = business_date_today()
        terms = pledge_terms(user=user, campaign=campaign, shop=shop, amount=amount, day=today)
        _lock_for_pledge(campaign_shop=terms.campaign_shop, user=user)
        terms = pledge_terms(user=user, campaign=campaign, shop=shop, amount=amount, day=today)
        accounts_lock_spec(_prepaid_specs(user.pk, shop.pk))
        paid = wallet.wallet_pay(
            user=user,
            shop=shop,
            amount=amount,
            method=Payment.Method.PLEDGE,
            idem=idem,
            actor=user,
            memo=f"pledge {shop.name}"[:150],
            claim=False,
        )
        pledge = Pledge.objects.create(
            campaign=campaign,
            phase=terms.phase,
            user=user,
            shop=shop,
            organisation=terms.organisation,
            amount=amount,
            bonus=terms.bonus,
            value=terms.value,
            remaining=terms.value,
            paid_with=Pledge.PaidWith.WALLET,
            status=Pledge.Status.ACTIVE,
            valid_until=today + timedelta(days=campaign.validity_days),
            business_date=today,
            settled_at=timezone.now(),
            payment_id=paid.body["payment_id"],
        )
        pledge.entry = _post_prepaid(
            pledge=pledge, key=f"{idem.scope}:{idem.key}:prepaid", actor=user
        )
        pledge.save(update_fields=["entry"])
        transaction.on_commit(lambda: message_request(kind="campaigns.pledge_receipt", object_id=pledge.pk))  # fmt: skip
        body = pledge_body(pledge)
        body["payment"] = paid.body
        return 201, body

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )


def pledge_with_card(*, user: User, campaign: Campaign, shop: Shop, amount) -> tuple[Pledge, str]:
    """Start a pledge paid by card through the provider: the pledge waits for the provider's
    confirmation (``pledge_charge_approved``). Returns the pledge and the provider page."""
    amount = parse_amount(amount)
    today = business_date_today()
    terms = pledge_terms(user=user, campaign=campaign, shop=shop, amount=amount, day=today)
    charge, url = wallet.charge_create(
        user=user, amount=amount, purpose="pledge", check_limits=False
    )
    pledge = Pledge.objects.create(
        campaign=campaign,
        phase=terms.phase,
        user=user,
        shop=shop,
        organisation=terms.organisation,
        amount=amount,
        bonus=terms.bonus,
        value=terms.value,
        remaining=terms.value,
        paid_with=Pledge.PaidWith.CARD,
        status=Pledge.Status.AWAITING_PAYMENT,
        valid_until=today + timedelta(days=campaign.validity_days),
        business_date=today,
        charge=charge,
    )
    return pledge, url


def pledge_charge_approved(charge: Charge) -> wallet.CallbackOutcome:
    """The provider confirmed a pledge's card payment (runs inside the callback's transaction,
    which holds the charge row). Re-checks the campaign's caps; if they were reached meanwhile
    the pledge fails and the card payment is given back."""
    pledge = (
        Pledge.objects.select_for_update().select_related("campaign", "shop").get(charge=charge)
    )
    if pledge.status != Pledge.Status.AWAITING_PAYMENT:
        return wallet.CallbackOutcome("ignored", "pledge already settled", charge.pk)
    campaign_shop = CampaignShop.objects.filter(campaign=pledge.campaign, shop=pledge.shop).first()
    today = business_date_today()
    try:
        if campaign_shop is None:
            raise ShopNotInCampaignError()
        _lock_for_pledge(campaign_shop=campaign_shop, user=pledge.user)
        pledge_terms(
            user=pledge.user,
            campaign=pledge.campaign,
            shop=pledge.shop,
            amount=pledge.amount,
            day=today,
            exclude=pledge,
        )
    except (PledgeRefusedError, ShopNotApprovedError) as exc:
        charge.status = Charge.Status.FAILED
        charge.failure_reason = str(exc.message)[:200]
        charge.save(
            update_fields=["status", "failure_reason", "last_event_at", "provider_payment_key"]
        )
        pledge.status = Pledge.Status.FAILED
        pledge.save(update_fields=["status"])
        return wallet.CallbackOutcome("over_limit", exc.message, charge.pk)
    accounts_lock_spec(_prepaid_specs(pledge.user_id, pledge.shop_id))
    ((payable_id, _p),) = accounts_lock_spec([(Account.Kind.SHOP_PAYABLE, None, pledge.shop_id, 0)])
    clearing_id = wallet.clearing_account_id(provider=charge.provider, user_id=pledge.user_id)
    paid = entry_post(
        kind=Entry.Kind.PLEDGE,
        legs=[Leg(clearing_id, -pledge.amount), Leg(payable_id, pledge.amount)],
        idempotency_key=f"charge:{charge.order_id}",
        actor=pledge.user_id,
        memo=f"pledge #{pledge.pk} by card",
        business_date=today,
        savepoint=False,
    )
    pledge.status = Pledge.Status.ACTIVE
    pledge.settled_at = timezone.now()
    pledge.business_date = today
    pledge.valid_until = today + timedelta(days=pledge.campaign.validity_days)
    pledge.entry = _post_prepaid(
        pledge=pledge, key=f"charge:{charge.order_id}:prepaid", actor=pledge.user_id
    )
    pledge.save()
    charge.status = Charge.Status.PAID
    charge.paid_at = timezone.now()
    charge.business_date = today
    charge.entry = paid
    charge.save()
    transaction.on_commit(lambda: message_request(kind="campaigns.pledge_receipt", object_id=pledge.pk))  # fmt: skip
    return wallet.CallbackOutcome("credited", "pledge paid", charge.pk)


def pledge_charge_failed(charge: Charge) -> None:
    Pledge.objects.filter(charge=charge, status=Pledge.Status.AWAITING_PAYMENT).update(
        status=Pledge.Status.FAILED
    )


def pledge_cancel(*, pledge: Pledge, by: User) -> Pledge:
    """The citizen cancels an unused pledge within 7 days: the prepaid balance goes, the money
    goes back to where it was paid from (the wallet, its cashback returned to the budget; or the
    card, through the provider's outbox once this has committed).

    Raises ``PledgeNotCancellableError`` (nothing moves, nothing is sent to the provider).
    Locks the pledge row, then its payment or charge row, then the accounts."""
    if pledge.user_id != by.pk:
        raise PledgeNotCancellableError(_("This is not your pledge."), code="not_found")
    _pledge_check_cancellable(pledge)

    def attempt() -> Pledge:
        with transaction.atomic():
            locked = Pledge.objects.select_for_update().get(pk=pledge.pk)
            _pledge_check_cancellable(locked)
            try:
                _pledge_reverse(locked, actor=by, note="cancelled")
            except InsufficientBalanceError as exc:
                raise PledgeNotCancellableError(
                    _("The cashback of this pledge has been spent, so it cannot be cancelled here.")
                ) from exc
            card = locked.charge if locked.paid_with == Pledge.PaidWith.CARD else None
            if card is not None and card.provider_payment_key:
                wallet.provider_call_enqueue(
                    charge=card, kind=ProviderCall.Kind.CANCEL, reason="pledge cancelled"
                )
        return locked

    return with_retries(attempt)


def _pledge_reverse(pledge: Pledge, *, actor, note: str) -> Entry:
    """The one reversal of a pledge: its prepaid value withdrawn, and what paid for it undone
    (the wallet payment through ``payment_reverse``, or the card charge's entry mirrored, back
    to the provider's clearing account). The caller holds the pledge row and has checked the
    pledge's rules. Raises ``InsufficientBalanceError`` (nothing written) when the wallet
    payment's cashback has been spent."""
    (prepaid_id, _b), (issued_id, _i) = accounts_lock_spec(
        _prepaid_specs(pledge.user_id, pledge.shop_id)
    )
    key = f"cancel:pledge:{pledge.pk}"
    with transaction.atomic():
        entry = entry_post(
            kind=Entry.Kind.CANCELLATION,
            legs=[Leg(prepaid_id, -pledge.value), Leg(issued_id, pledge.value)],
            idempotency_key=key,
            actor=actor,
            memo=f"pledge #{pledge.pk} {note}",
        )
        if pledge.paid_with == Pledge.PaidWith.WALLET:
            assert pledge.payment_id is not None  # a wallet pledge has its payment
            payment = Payment.objects.select_for_update().get(pk=pledge.payment_id)
            wallet.payment_reverse(payment=payment, by=actor, key=f"{key}:payment")
        else:
            assert pledge.charge_id is not None  # a card pledge has its charge
            charge = Charge.objects.select_for_update().get(pk=pledge.charge_id)
            assert charge.entry is not None  # an active card pledge's charge was credited
            entry_reverse(entry=charge.entry, idempotency_key=f"{key}:card", actor=actor)
            charge.status = Charge.Status.CANCELLED
            charge.cancelled_at = timezone.now()
            charge.save(update_fields=["status", "cancelled_at", "last_event_at"])
    pledge.status = Pledge.Status.CANCELLED
    pledge.remaining = 0
    pledge.closed_at = timezone.now()
    pledge.save(update_fields=["status", "remaining", "closed_at"])
    PledgeEvent.objects.create(
        pledge=pledge, action="cancelled", amount=pledge.value, actor=actor, entry=entry, note=note
    )
    return entry


def pledge_charge_refunded(charge: Charge) -> wallet.CallbackOutcome:
    """The provider gave a card pledge's payment back on its side. Runs in the callback's
    transaction, which holds the charge row. An unused pledge is cancelled (whatever its age:
    the money has gone back); a pledge already partly redeemed is flagged to staff."""
    pledge = Pledge.objects.select_for_update().filter(charge=charge).first()
    if pledge is None or pledge.status != Pledge.Status.ACTIVE or pledge.remaining != pledge.value:
        wallet.discrepancy_flag(
            charge=charge,
            kind=ProviderDiscrepancy.Kind.REFUNDED_AT_PROVIDER,
            detail=f"pledge #{getattr(pledge, 'pk', '?')} was used or closed before the refund",
        )
        charge.save(update_fields=["last_event_at"])
        return wallet.CallbackOutcome("flagged", "pledge used before the refund", charge.pk)
    _pledge_reverse(pledge, actor=None, note="refunded at the provider")
    return wallet.CallbackOutcome("cancelled", "pledge refunded at the provider", charge.pk)


def payment_owner_refusal(payment: Payment) -> ApplicationError | None:
    """A payment that paid for a pledge, or the wallet part of a redemption, is reversed only
    with it (registered with ``vouchers.services.payment_dependant_register``)."""
    if Pledge.objects.filter(payment=payment).exists():
        return PaymentOwnedError(
            _(
                "This payment paid for a prepayment pledge: only the citizen can cancel it, by"
                " cancelling the pledge."
            )
        )
    if Redemption.objects.filter(payment=payment).exists():
        return PaymentOwnedError(
            _(
                "This payment is the wallet part of a prepaid redemption: cancel the redemption"
                " instead."
            )
        )
    return None


def _pledge_check_cancellable(pledge: Pledge) -> None:
    if pledge.status != Pledge.Status.ACTIVE:
        raise PledgeNotCancellableError(_("Only an active pledge can be cancelled."))
    if pledge.remaining != pledge.value:
        raise PledgeNotCancellableError(
            _("Part of this pledge has been used, so it cannot be cancelled.")
        )
    assert pledge.settled_at is not None  # an active pledge was settled
    if timezone.now() - pledge.settled_at > timedelta(days=PLEDGE_CANCEL_DAYS):
        raise PledgeNotCancellableError(_("A pledge can be cancelled within 7 days only."))


# --- Redemption at the counter ----------------------------------------------------------------


def prepaid_redeem(
    *,
    user: User,
    shop: Shop,
    amount: int,
    idem: Idem,
    wallet_amount: int | None = None,
    device: Device | None = None,
    actor: User | None = None,
    code: ResolvedCode | None = None,
) -> IdempotentResult:
    """The locked part of a redemption, in one database call (``prepaid_redeem()``, campaigns
    migration 0002): locks the citizen's pledge rows at the shop, then the prepaid accounts, then
    (for a wallet remainder) what ``wallet_pay`` locks."""
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotApprovedError()
    terms = wallet.payment_terms(
        user=user, shop=shop, citizen_group=getattr(code, "citizen_group", None)
    )
    params = [
        user.pk,
        shop.pk,
        amount,
        wallet_amount,
        getattr(device, "pk", None),
        getattr(actor, "pk", None),
        getattr(code, "pk", None),
        idem.scope,
        idem.key,
        idem.fingerprint,
        terms.today,
        wallet.month_of(terms.today),
        terms.rate_bp,
        terms.cashback_cap,
        wallet.shard_of(user.pk),
        shop.name[:150],
    ]
    return wallet.run_money_function(
        sql="SELECT prepaid_redeem(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        params=params,
        user_id=user.pk,
        shop_id=shop.pk,
        rules=terms.rules,
        extra_specs=_prepaid_specs(user.pk, shop.pk),
        translate=_redemption_error,
    )


def _redemption_error(exc) -> Exception | None:
    cause = exc.__cause__
    if getattr(cause, "pgcode", None) != "JP201":
        return None
    available = int(getattr(getattr(cause, "diag", None), "message_hint", "0") or 0)
    return InsufficientPrepaidError(
        _("The prepaid balance at this shop is %(balance)s won, less than the amount.")
        % {"balance": f"{available:,}"}
    )


def redemption_cancel(*, redemption: Redemption, by: User) -> Redemption:
    """The shop's owner cancels a redemption of the same business day (a wrong amount, a bill
    voided): the prepaid value goes back to the pledges it came from, and its wallet part, if
    any, back to the wallet with its cashback returned to the budget.

    Refused (``RedemptionNotCancellableError``, nothing moves) for someone who is not the owner,
    a redemption already cancelled or of another day, a pledge it came from that has closed
    since, or a wallet part whose cashback has been spent. Locks the redemption row, the pledge
    rows it came from (ascending id), the prepaid accounts, then the payment and wallet
    accounts."""
    from merchants.selectors import member_role

    if member_role(user=by, shop=redemption.shop) != ShopMember.Role.OWNER:
        raise RedemptionNotCancellableError(
            _("Only the shop's owner cancels redemptions."), code="forbidden"
        )

    def attempt() -> Redemption:
        with transaction.atomic():
            locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
            if locked.cancelled_at is not None:
                raise RedemptionNotCancellableError(_("This redemption is cancelled already."))
            if locked.business_date != business_date_today():
                raise RedemptionNotCancellableError(
                    _("Only redemptions of today can be cancelled at the counter.")
                )
            parts = list(locked.parts.order_by("pledge_id"))
            pledges = {
                p.pk: p
                for p in Pledge.objects.select_for_update()
                .filter(pk__in=[part.pledge_id for part in parts])
                .order_by("id")
            }
            if any(
                p.status not in (Pledge.Status.ACTIVE, Pledge.Status.USED) for p in pledges.values()
            ):
                raise RedemptionNotCancellableError(
                    _(
                        "A pledge this redemption came from has closed since, so it cannot be undone."
                    )
                )
            accounts_lock_spec(_prepaid_specs(locked.user_id, locked.shop_id))
            key = f"cancel:redemption:{locked.pk}"
            try:
                with transaction.atomic():
                    entry = entry_reverse(entry=locked.entry, idempotency_key=key, actor=by)
                    if locked.payment_id:
                        payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
                        wallet.payment_reverse(payment=payment, by=by, key=f"{key}:payment")
            except InsufficientBalanceError as exc:
                raise RedemptionNotCancellableError(
                    _("The cashback of this bill's wallet part has been spent; ask the city.")
                ) from exc
            for part in parts:
                pledge = pledges[part.pledge_id]
                pledge.remaining += part.amount
                pledge.status = Pledge.Status.ACTIVE
                pledge.closed_at = None
                pledge.save(update_fields=["remaining", "status", "closed_at"])
                PledgeEvent.objects.create(
                    pledge=pledge,
                    action="redemption_cancelled",
                    amount=part.amount,
                    actor=by,
                    entry=entry,
                    note=f"redemption #{locked.pk}",
                )
            locked.cancelled_at = timezone.now()
            locked.cancelled_by = by
            locked.save(update_fields=["cancelled_at", "cancelled_by"])
        return locked

    return with_retries(attempt)


# --- Expiry, closed shops, the guarantee fund ---------------------------------------------------


@dataclass(frozen=True)
class ExpiryReport:
    business_date: date
    pledges: int
    amount: int
    shops: int
    replayed: bool = False


def prepaid_expire_due(*, as_of: date, business_date: date | None = None) -> ExpiryReport:
    """Expire the rest of every active pledge whose validity ended before ``as_of``: one ledger
    entry per shop (key ``expiry:<shop>:<as_of>``, so a second run posts nothing), the pledges
    marked expired and an event per pledge. Set-based: one database call (``prepaid_expire``,
    campaigns migration 0004) whatever the count. Locks the due pledge rows, then the accounts
    (inside ``ledger_post``)."""
    business_date = business_date or as_of
    # One call is one transaction: in autocommit when the caller has none (under Citus it then
    # runs on the city's worker, in one round trip), else as a savepoint.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(
            "SELECT pledge_id, amount FROM prepaid_expire(%s, %s)", [as_of, business_date]
        )
        rows = cursor.fetchall()
    total = sum(int(r[1]) for r in rows)
    shops = (
        Pledge.objects.filter(pk__in=[r[0] for r in rows]).values("shop_id").distinct().count()
        if rows
        else 0
    )
    return ExpiryReport(as_of, len(rows), total, shops)


@dataclass(frozen=True)
class ShopLiability:
    shop_id: int
    outstanding: int


def prepaid_liability_by_shop() -> list[ShopLiability]:
    """Outstanding prepaid value per shop (what each shop still owes its customers), from the
    ledger: minus the balance of the shop's ``prepaid_issued`` account."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT owner_shop_id, -balance FROM ledger_accounts"
            " WHERE kind = 'prepaid_issued' AND balance <> 0 ORDER BY owner_shop_id"
        )
        return [ShopLiability(shop_id, int(amount)) for shop_id, amount in cursor.fetchall()]


def redemptions_by_shop(*, business_date: date) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shop_id, SUM(amount) FROM campaigns_redemption WHERE business_date = %s"
            " GROUP BY shop_id",
            [business_date],
        )
        return {shop_id: int(total) for shop_id, total in cursor.fetchall()}


@retried
def guarantee_fund_add(*, by: User | None, amount, idempotency_key: str) -> Entry:
    """City money set aside to compensate citizens whose shop closed with prepaid balances."""
    _require_manager(by)
    amount = parse_amount(amount, maximum=10**13)
    world = account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD)
    fund = account_get_or_create(kind=Account.Kind.GUARANTEE_FUND)
    return entry_post(
        kind=Entry.Kind.FUNDING,
        legs=[Leg(world.pk, -amount), Leg(fund.pk, amount)],
        idempotency_key=f"guarantee:{idempotency_key}",
        actor=by,
        memo="guarantee fund",
    )


@retried
def closed_shop_refund(*, shop: Shop, by: User) -> dict:
    """Pay citizens back, from the guarantee fund into their wallets, the prepaid balances a
    closed shop still owed them. One entry for the shop; refused as a whole when the fund is
    short. Locks the shop's active pledges, then the accounts."""
    _require_manager(by)
    if shop.status != Shop.Status.CLOSED:
        raise CampaignError(_("Only a closed shop's prepaid balances are refunded by the city."))
    with transaction.atomic():
        pledges = list(
            Pledge.objects.select_for_update()
            .filter(shop=shop, status=Pledge.Status.ACTIVE, remaining__gt=0)
            .order_by("id")
        )
        if not pledges:
            return {"citizens": 0, "amount": 0}
        per_user: dict[int, int] = {}
        for pledge in pledges:
            per_user[pledge.user_id] = per_user.get(pledge.user_id, 0) + pledge.remaining
        total = sum(per_user.values())
        fund = account_get_or_create(kind=Account.Kind.GUARANTEE_FUND)
        specs: list[AccountSpec] = [(Account.Kind.PREPAID_ISSUED, None, shop.pk, 0)]
        for user_id in sorted(per_user):
            specs += [
                (Account.Kind.PREPAID, user_id, shop.pk, 0),
                (Account.Kind.WALLET_PRINCIPAL, user_id, None, 0),
            ]
        locked = accounts_lock_spec(specs)
        issued_id = locked[0][0]
        legs = [Leg(fund.pk, -total), Leg(issued_id, total)]
        for n, user_id in enumerate(sorted(per_user)):
            prepaid_id, principal_id = locked[1 + 2 * n][0], locked[2 + 2 * n][0]
            legs += [Leg(prepaid_id, -per_user[user_id]), Leg(principal_id, per_user[user_id])]
        try:
            entry = entry_post(
                kind=Entry.Kind.REFUND,
                legs=legs,
                idempotency_key=f"closed-shop-refund:{shop.pk}:{pledges[-1].pk}",
                actor=by,
                memo=f"prepaid balances of closed shop {shop.name} refunded from the guarantee fund"[
                    :200
                ],
                savepoint=False,
            )
        except InsufficientBalanceError as exc:
            raise CampaignError(
                _("The guarantee fund holds less than the %(amount)s won to refund.")
                % {"amount": f"{total:,}"}
            ) from exc
        Pledge.objects.filter(pk__in=[p.pk for p in pledges]).update(
            status=Pledge.Status.REFUNDED, remaining=0, closed_at=timezone.now()
        )
        PledgeEvent.objects.bulk_create(
            [
                PledgeEvent(pledge=p, action="refunded", amount=p.remaining, actor=by, entry=entry)
                for p in pledges
            ]
        )
    return {"citizens": len(per_user), "amount": total, "entry_id": entry.pk}
