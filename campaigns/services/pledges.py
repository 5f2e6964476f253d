"""Pledges: paid from the wallet or by card, cancelled, and what a card refund undoes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from jeonju_prepay.exceptions import ApplicationError
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.money import apply_rate, parse_amount
from ledger.services import (
    Idem,
    IdempotentResult,
    Leg,
    accounts_lock_spec,
    business_date_today,
    entry_post,
    entry_reverse,
    idempotency_replay,
    idempotent,
    with_retries,
)
from merchants.exceptions import ShopNotApprovedError
from merchants.models import Shop
from messaging.services import message_request
from vouchers import services as wallet
from vouchers.models import Charge, Payment, ProviderCall, ProviderDiscrepancy

from .. import selectors
from ..exceptions import (
    NotInPhaseError,
    PaymentOwnedError,
    PledgeLimitError,
    PledgeNotCancellableError,
    PledgeRefusedError,
    ShopNotInCampaignError,
)
from ..models import (
    Campaign,
    CampaignShop,
    Organisation,
    Phase,
    Pledge,
    PledgeEvent,
    Redemption,
)
from .common import PLEDGE_CANCEL_DAYS
from .locks import pledge_lock, prepaid_specs

logger = logging.getLogger(__name__)

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


def _post_prepaid(*, pledge: Pledge, key: str, actor=None) -> Entry:
    (prepaid_id, _balance), (issued_id, _issued) = accounts_lock_spec(
        prepaid_specs(pledge.user_id, pledge.shop_id)
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
        pledge_lock(campaign_shop=terms.campaign_shop, user=user)
        terms = pledge_terms(user=user, campaign=campaign, shop=shop, amount=amount, day=today)
        accounts_lock_spec(prepaid_specs(user.pk, shop.pk))
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
        pledge_lock(campaign_shop=campaign_shop, user=pledge.user)
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
    accounts_lock_spec(prepaid_specs(pledge.user_id, pledge.shop_id))
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
        prepaid_specs(pledge.user_id, pledge.shop_id)
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
