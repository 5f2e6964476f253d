"""Every page and API endpoint, called as every persona, on the objects of each.

The list of URLs comes from the URL configuration itself, so a new endpoint cannot escape: the
test fails until it has a row in ``CITY_TABLE`` (or ``PUBLIC_TABLE``) saying who may use it.
Each persona is called with GET and with POST (an empty body) on every URL and must get exactly
what the row says:

- ``OK``: the persona may use it: anything but a refusal (403, 404, a redirect to sign in) or a
  500; an empty POST may well be a 400 or a form shown again.
- ``403``: the persona's role may not use it at all.
- ``404``: somebody else's object (or, for wanju's staff, an object of another city).
- anonymous: a redirect to sign in for pages, 401/403 for the API.

A URL the persona may not use may also answer 405 when it does not take the method (that check
comes first in some views and reveals nothing). No response to anyone may be a 500, and no
response may carry a marker of data the persona may not see (``World.markers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .world import PERSONAS, USER_PERSONAS

OK, LOGIN, FORBIDDEN, MISSING, UNAUTHENTICATED = "ok", "login", 403, 404, 401

CITIZENS = {"citizen_a", "citizen_b"}
DEVICES = {"device_x", "device_y"}
SIGNED_IN = set(USER_PERSONAS)  # people of jeonju (devices are not people)


@dataclass(frozen=True)
class Row:
    """Who may call a URL. ``ok``: allowed personas. ``forbidden``: personas that get 403 rather
    than ``default``. ``default``: what every other signed-in person gets. ``kwargs``: the URL's
    arguments from the world (an object of citizen A, shop X, the landlord...). ``anon``: what
    nobody-signed-in gets (None: sign-in redirect for pages, 401/403 for the API). ``other``:
    what wanju's staff get on wanju's host with jeonju's ids (None: as jeonju's staff, but 404
    where that would be OK on an object)."""

    ok: frozenset = frozenset()
    forbidden: frozenset = frozenset()
    default: object = FORBIDDEN
    kwargs: Callable | None = None
    anon: object = None
    other: object = None
    overrides: dict = field(default_factory=dict)

    def expect(self, persona: str, api: bool):
        if persona in self.overrides:
            return self.overrides[persona]
        anon = self.anon
        if anon is None:
            anon = UNAUTHENTICATED if api else LOGIN
        if persona == "anonymous":
            return anon
        if persona == "other_creds":  # a wanju session or token on jeonju: nobody here
            return anon
        if persona in DEVICES and not api:  # a device token does not open a page
            return anon
        if persona == "other_staff":
            if self.other is not None:
                return self.other
            staff = self.expect("staff", api)
            return MISSING if staff == OK and self.kwargs else staff
        if persona in self.ok:
            return OK
        if persona in self.forbidden:
            return FORBIDDEN
        return self.default


def row(ok=(), forbidden=(), default=FORBIDDEN, kwargs=None, **rest) -> Row:
    return Row(frozenset(ok), frozenset(forbidden), default, kwargs, **rest)


EVERYONE = SIGNED_IN | DEVICES


def public(**rest) -> Row:
    return row(ok=EVERYONE, anon=OK, **rest)


def signed_in(kwargs=None, **rest) -> Row:
    """Any person of the city; the page shows only what is theirs."""
    return row(ok=SIGNED_IN, kwargs=kwargs, **rest)


def staff_only(kwargs=None, **rest) -> Row:
    return row(ok={"staff"}, kwargs=kwargs, **rest)


def citizens(kwargs=None, **rest) -> Row:
    return row(ok=CITIZENS, kwargs=kwargs, **rest)


def citizen_a_only(kwargs) -> Row:
    """An object of citizen A behind a citizen-only view: B 404, other roles 403."""
    return row(ok={"citizen_a"}, forbidden=SIGNED_IN - CITIZENS | DEVICES, default=MISSING,
               kwargs=kwargs)  # fmt: skip


def shop_x(ok=("owner_x", "clerk_x"), forbidden=(), kwargs=None) -> Row:
    """A page of shop X: its people (the clerk 403 on owner-only pages), everyone else 404."""
    return row(
        ok=ok,
        forbidden=forbidden,
        default=MISSING,
        kwargs=kwargs or (lambda w: {"shop_id": w.shop_x.pk}),
    )


def devices_only(**rest) -> Row:
    return row(ok=DEVICES, **rest)


def landlord_lease(kwargs) -> Row:
    """The landlord's own property or lease: the other landlord 404, other roles 403."""
    return row(ok={"landlord"}, default=FORBIDDEN, kwargs=kwargs, overrides={"landlord_b": MISSING})


def agreement(ok, forbidden=()) -> Row:
    """The landlord's agreement with shop X: its parties and staff see it, others 404."""
    return row(
        ok=ok,
        forbidden=forbidden,
        default=MISSING,
        kwargs=lambda w: {"agreement_id": w.agreement.pk},
        other=MISSING,  # wanju has no such agreement, whatever the role
    )


shop_arg = lambda w: {"shop_id": w.shop_x.pk}  # noqa: E731
order_arg = lambda w: {"order_id": w.charge_a.order_id}  # noqa: E731
campaign_arg = lambda w: {"campaign_id": w.campaign.pk}  # noqa: E731
lease_arg = lambda w: {"lease_id": w.lease.pk}  # noqa: E731
desk_arg = lambda w: {"desk_id": w.desk.pk}  # noqa: E731
card_a_arg = lambda w: {"card_id": w.card_a.pk}  # noqa: E731
desk_citizen_arg = lambda w: {"desk_id": w.desk.pk, "user_id": w.desk_citizen.pk}  # noqa: E731
desk_card_arg = lambda w: {"desk_id": w.desk.pk, "card_id": w.desk_card.pk}  # noqa: E731
batch_arg = lambda w: {"batch_id": w.batch.pk}  # noqa: E731
workplace_arg = lambda w: {"workplace_id": w.workplace.pk}  # noqa: E731
declaration_arg = lambda w: {"declaration_id": w.declaration.pk}  # noqa: E731


def own_workplace() -> Row:
    """Owner X's workplace: the owner only; everyone else 404 (it is not theirs)."""
    return row(ok={"owner_x"}, default=MISSING, kwargs=workplace_arg, other=MISSING)


sale_arg = lambda w: {"sale_id": w.sale.pk}  # noqa: E731
ticket_arg = lambda w: {"sale_id": w.sale.pk, "ticket": w.ticket_a.number}  # noqa: E731
AGREEMENT_PARTIES = {"landlord", "owner_x", "staff"}
grant_programme_arg = lambda w: {"pk": w.grant_programme.pk}  # noqa: E731
grant_application_arg = lambda w: {"pk": w.grant_application.pk}  # noqa: E731

CITY_TABLE: dict[str, Row] = {
    # --- No app ---------------------------------------------------------------------------
    "home": public(),
    "healthz": public(),
    "set_language": public(),
    "api-schema": public(overrides={"other_creds": UNAUTHENTICATED}),  # a bad token is a 401
    # --- accounts -------------------------------------------------------------------------
    "accounts:profile": signed_in(),
    "accounts:staff-new": staff_only(),
    "accounts:consents": signed_in(),
    # Signing in with a mobile number, and the consent texts, before anybody is signed in.
    "accounts-phone:start": public(),
    "accounts-phone:code": public(),
    "accounts-phone:consent-texts": public(),
    "api:auth-otp": public(),
    # The sandbox outbox exists only with MESSAGING_SANDBOX_PAGE (DEBUG): here, for nobody.
    "messaging:sandbox-outbox": row(default=MISSING, anon=MISSING, other=MISSING),
    # --- merchants ------------------------------------------------------------------------
    # The shop list, the counter's shop chooser and registration show only the person's own
    # shops (registering one is how anybody becomes a shop owner).
    "merchants:shop-list": signed_in(),
    "merchants:shop-register": signed_in(),
    "counter:counter-home": signed_in(),
    # The invitation page asks only "accept?"; accepting checks the token and the email.
    "merchants:invitation-accept": signed_in(
        kwargs=lambda w: {"token": w.invitation_token}, other=OK
    ),
    "merchants:review-list": staff_only(),
    "merchants:policy": staff_only(),
    "merchants:shop-payment-policy": staff_only(),
    "merchants:shop-pay": shop_x(ok={"owner_x"}, forbidden={"clerk_x"}),
    "merchants:review-detail": staff_only(kwargs=shop_arg),
    "merchants:shop-detail": shop_x(),
    "merchants:shop-edit": shop_x(ok={"owner_x"}, forbidden={"clerk_x"}),
    "merchants:shop-resubmit": shop_x(ok={"owner_x"}, forbidden={"clerk_x"}),
    "merchants:shop-qr": shop_x(),
    # Owners and clerks both register and revoke counter devices (merchants.services).
    "merchants:devices": shop_x(),
    "merchants:device-revoke": shop_x(
        kwargs=lambda w: {"shop_id": w.shop_x.pk, "device_id": w.device_x.pk}
    ),
    "merchants:clerks": shop_x(ok={"owner_x"}, forbidden={"clerk_x"}),
    "merchants:clerk-remove": shop_x(
        ok={"owner_x"},
        forbidden={"clerk_x"},
        kwargs=lambda w: {"shop_id": w.shop_x.pk, "member_id": w.clerk_member.pk},
    ),
    "merchants:statements": shop_x(ok={"owner_x"}, forbidden={"clerk_x"}),
    # No statement exists for that day in this world: the owner gets 404 too, the clerk 403.
    "merchants:statement-csv": shop_x(
        ok=(),
        forbidden={"clerk_x"},
        kwargs=lambda w: {"shop_id": w.shop_x.pk, "business_date": "2021-01-04"},
    ),
    "counter:counter-payment-cancel": shop_x(
        ok={"owner_x"},
        forbidden={"clerk_x"},
        kwargs=lambda w: {"shop_id": w.shop_x.pk, "payment_id": w.payment_a.pk},
    ),
    "counter:counter": shop_x(),
    "counter:counter-identify": shop_x(),
    "counter:counter-bill": shop_x(),
    "counter:counter-recent": shop_x(),
    # The world has no redemption: the owner gets 404 for a made-up id, the clerk 403.
    "counter:counter-redemption-cancel": shop_x(
        ok=(),
        forbidden={"clerk_x"},
        kwargs=lambda w: {"shop_id": w.shop_x.pk, "redemption_id": 999_999},
    ),
    "counter:counter-card": shop_x(),
    "counter:counter-note": shop_x(),
    # --- cards: the citizen's cards, the desks (their staff), the city's note batches --------
    "cards:mine": signed_in(),
    "cards:card-block": row(ok={"citizen_a"}, default=MISSING, kwargs=card_a_arg),
    "cards:desk-home": staff_only(),
    "cards:desk": staff_only(kwargs=desk_arg),
    "cards:desk-account-new": staff_only(kwargs=desk_arg),
    "cards:desk-citizen": staff_only(kwargs=desk_citizen_arg),
    "cards:desk-card-issue": staff_only(kwargs=desk_citizen_arg),
    "cards:desk-charge": staff_only(kwargs=desk_citizen_arg),
    "cards:desk-notes-sell": staff_only(kwargs=desk_citizen_arg),
    "cards:desk-card-block": staff_only(kwargs=desk_card_arg),
    "cards:desk-card-replace": staff_only(kwargs=desk_card_arg),
    # No desk charge in this world: the desk's staff get 404 for a made-up id, others 403.
    "cards:desk-receipt": row(
        overrides={"staff": MISSING},
        kwargs=lambda w: {"desk_id": w.desk.pk, "charge_id": 999_999},
    ),
    "cards:desk-close": staff_only(kwargs=desk_arg),
    "cards:batches": staff_only(),
    "cards:batch-sheet": staff_only(kwargs=batch_arg),
    "cards:batch-cancel": staff_only(kwargs=batch_arg),
    # --- districts (city staff keep the list) -------------------------------------------------
    "districts:list": staff_only(),
    "districts:toggle": staff_only(kwargs=lambda w: {"district_id": w.district.pk}),
    # --- dashboard (city staff) -------------------------------------------------------------
    "dashboard:home": staff_only(),
    "dashboard:shops": staff_only(),
    # The table's name is not an object: wanju's staff export wanju's own figures.
    "dashboard:export": staff_only(
        kwargs=lambda w: {"table": "top_shops", "fmt": "xlsx"}, other=OK
    ),
    "fraud:queue": staff_only(),
    "fraud:thresholds": staff_only(),
    "fraud:case": staff_only(kwargs=lambda w: {"case_id": w.fraud_case.pk}),
    "operations:operations": staff_only(),
    "operations:run": staff_only(),
    # No transfer file exists for that day in this world: staff get 404, others 403.
    "operations:transfer-file-csv": staff_only(
        kwargs=lambda w: {"business_date": "2021-01-04"}, overrides={"staff": MISSING}
    ),
    # --- vouchers (the wallet) -------------------------------------------------------------
    "vouchers:wallet": citizens(),
    "vouchers:history": citizens(),
    "vouchers:charge": citizens(),
    "vouchers:charge-done": citizen_a_only(order_arg),
    "vouchers:charge-cancel": citizen_a_only(order_arg),
    "vouchers:code": citizens(),
    "vouchers:code-new": citizens(),
    "vouchers:code-status": citizens(),
    # Any citizen may pay any approved shop whose QR they scanned.
    "vouchers:pay-shop": citizens(kwargs=lambda w: {"public_code": w.shop_x.public_code}),
    "vouchers:payment-done": citizen_a_only(lambda w: {"payment_id": w.payment_a.pk}),
    "vouchers:pin": citizens(),
    "vouchers:refund": citizens(),
    "vouchers:policy": staff_only(),
    "vouchers:policy-override": staff_only(),
    "vouchers:policy-override-withdraw": staff_only(),
    "vouchers:policy-budget": staff_only(),
    "vouchers:discrepancy-resolve": staff_only(
        kwargs=lambda w: {"discrepancy_id": w.discrepancy.pk}
    ),
    # The sandbox payment gateway stands in for a card company's pages (development and tests
    # only; SANDBOX_PG_ENABLED is off in production): like a real gateway's checkout it acts only
    # for the customer who placed the order; to anyone else the order does not exist.
    "sandbox_pg:checkout": row(ok={"citizen_a"}, default=MISSING, kwargs=order_arg),
    "sandbox_pg:api-approve": row(
        ok={"citizen_a"}, default=MISSING, kwargs=order_arg, anon=UNAUTHENTICATED
    ),
    # Toss Payments' pages for a charge: citizens only, and only for a charge through Toss (this
    # world's charge went through the sandbox, so it is not found even for its owner).
    "vouchers_toss:checkout": row(
        forbidden=SIGNED_IN - CITIZENS | DEVICES, default=MISSING, kwargs=order_arg
    ),
    "vouchers_toss:success": row(
        forbidden=SIGNED_IN - CITIZENS | DEVICES, default=MISSING, kwargs=order_arg
    ),
    "vouchers_toss:fail": row(
        forbidden=SIGNED_IN - CITIZENS | DEVICES, default=MISSING, kwargs=order_arg
    ),
    # Toss's webhook: anyone may post; only what Toss's API then says is used.
    "vouchers_toss:webhook": public(other=OK),
    # The confirm for app clients: citizens; the input is checked before the order is looked up.
    "vouchers_toss:api-confirm": citizens(kwargs=order_arg),
    # --- campaigns ------------------------------------------------------------------------
    "campaigns:campaign-list": signed_in(),
    "campaigns:organisation-join": signed_in(),
    "campaigns:pledge-list": signed_in(),
    "campaigns:pledge-done": row(
        ok={"citizen_a"}, default=MISSING, kwargs=lambda w: {"pledge_id": w.pledge_a.pk}
    ),
    "campaigns:pledge-cancel": row(
        ok={"citizen_a"}, default=MISSING, kwargs=lambda w: {"pledge_id": w.pledge_a.pk}
    ),
    "campaigns:prepaid-history": row(ok={"citizen_a"}, default=MISSING, kwargs=shop_arg),
    "campaigns:manage": staff_only(),
    "campaigns:closed-shops": staff_only(),
    "campaigns:manage-detail": staff_only(kwargs=campaign_arg),
    "campaigns:campaign-detail": signed_in(kwargs=campaign_arg),
    # Lists only the person's own shops to enter.
    "campaigns:shop-join": signed_in(kwargs=campaign_arg),
    "campaigns:pledge-new": citizens(
        kwargs=lambda w: {"campaign_id": w.campaign.pk, "shop_id": w.shop_x.pk}
    ),
    # --- rentals --------------------------------------------------------------------------
    # --- workplaces ------------------------------------------------------------------------
    "workplaces:list": public(),
    "workplaces:home": signed_in(),
    "workplaces:register": signed_in(),
    "workplaces:detail": own_workplace(),
    "workplaces:pledge": own_workplace(),
    "workplaces:report": own_workplace(),
    "workplaces:evidence-upload": own_workplace(),
    "workplaces:openings": own_workplace(),
    "workplaces:worker-report": signed_in(kwargs=workplace_arg),
    "workplaces:evidence-open": row(
        ok={"owner_x", "staff"}, default=MISSING, kwargs=lambda w: {"document_id": w.document.pk}
    ),
    "workplaces:declaration": row(
        ok={"owner_x", "staff"}, default=MISSING, kwargs=declaration_arg, other=MISSING
    ),
    "workplaces:declaration-verify": staff_only(kwargs=declaration_arg),
    "workplaces:declaration-reject": staff_only(kwargs=declaration_arg),
    "workplaces:tax-deferral": staff_only(kwargs=declaration_arg),
    "workplaces:clawback-repay": staff_only(kwargs=declaration_arg),
    "workplaces:help": signed_in(),
    "workplaces:staff": staff_only(),
    "workplaces:round-create": staff_only(),
    "workplaces:round-publish": staff_only(kwargs=lambda w: {"round_id": w.declaration.round_id}),
    "workplaces:round-fund": staff_only(kwargs=lambda w: {"round_id": w.declaration.round_id}),
    "workplaces:month-run": staff_only(),
    "workplaces:case": staff_only(kwargs=lambda w: {"case_id": w.case.pk}),
    "workplaces:import": staff_only(),
    "workplaces:help-match": staff_only(kwargs=lambda w: {"request_id": w.help_request.pk}),
    "rentals:home": signed_in(),
    "rentals:property-create": row(ok={"landlord", "landlord_b"}),
    "rentals:lease-create": landlord_lease(lambda w: {"property_id": w.property.pk}),
    "rentals:lease-detail": landlord_lease(lease_arg),
    "rentals:lease-change": landlord_lease(lease_arg),
    "rentals:agreement-propose": landlord_lease(lease_arg),
    "rentals:agreement-detail": agreement(ok=AGREEMENT_PARTIES),
    "rentals:agreement-edit": agreement(ok={"landlord"}, forbidden={"owner_x", "staff"}),
    "rentals:agreement-reliefs": agreement(ok={"landlord"}, forbidden={"owner_x", "staff"}),
    "rentals:agreement-sign": agreement(ok={"owner_x"}, forbidden={"landlord", "staff"}),
    "rentals:agreement-decline": agreement(ok={"owner_x"}, forbidden={"landlord", "staff"}),
    "rentals:agreement-verify": staff_only(kwargs=lambda w: {"agreement_id": w.agreement.pk}),
    "rentals:agreement-reject": staff_only(kwargs=lambda w: {"agreement_id": w.agreement.pk}),
    "rentals:agreement-print": agreement(ok=AGREEMENT_PARTIES),
    "rentals:agreement-certificate": agreement(ok={"landlord", "staff"}, forbidden={"owner_x"}),
    # --- sales (charge days) ----------------------------------------------------------------
    "sales:list": citizens(),
    "sales:join": citizens(kwargs=sale_arg),
    "sales:ticket": citizen_a_only(sale_arg),
    "sales:ticket-status": citizen_a_only(sale_arg),
    "sales:ticket-pay": citizen_a_only(sale_arg),
    "sales:draw": signed_in(kwargs=sale_arg),
    "sales:staff-list": staff_only(),
    "sales:staff-detail": staff_only(kwargs=sale_arg),
    "sales:staff-figures": staff_only(kwargs=sale_arg),
    "sales:staff-action": staff_only(kwargs=lambda w: {"sale_id": w.sale.pk, "action": "pause"}),
    "rentals:staff-list": staff_only(),
    "rentals:report": staff_only(),
    "rentals:report-csv": staff_only(),
    "rentals:policy": staff_only(),
    # --- solidarity -----------------------------------------------------------------------
    "solidarity:home": citizens(),
    "solidarity:gifts": citizens(),
    # No such gift in this world: the citizen is told so on the gifts page (a redirect).
    "solidarity:gift-cancel": citizens(kwargs=lambda w: {"gift_id": 999_999}),
    "solidarity:donations": citizens(),
    "solidarity:donation-receipt": citizens(kwargs=lambda w: {"year": 2026}),
    "solidarity:fund": public(),
    "solidarity:fund-manage": staff_only(),
    "solidarity:angel-shop": shop_x(ok={"owner_x"}, forbidden={"clerk_x"}),
    "solidarity:statement": citizens(kwargs=lambda w: {"year": 2026}),
    # A year is not an object: wanju's staff get wanju's own totals.
    "solidarity:city-statement": staff_only(kwargs=lambda w: {"year": 2026}, other=OK),
    "solidarity:relay": signed_in(kwargs=campaign_arg),
    "solidarity:relay-tree": signed_in(kwargs=campaign_arg),
    # No such invitation in this world: 404 for everyone.
    "solidarity:relay-join": row(default=MISSING, kwargs=lambda w: {"nomination_id": 999_999}),
    # --- grants ---------------------------------------------------------------------------
    "grants:home": signed_in(),
    "grants:apply": citizens(kwargs=grant_programme_arg),
    # Citizen A's application: hers alone (staff review it on their own page).
    "grants:application": row(ok={"citizen_a"}, default=MISSING, kwargs=grant_application_arg),
    # A private document: its applicant and grant staff; everyone else 404 (names nothing).
    "grants:document": row(
        ok={"citizen_a", "staff"},
        default=MISSING,
        kwargs=lambda w: {"pk": w.grant_document.pk},
        other=MISSING,
    ),
    "grants:staff-home": staff_only(),
    "grants:staff-programme-new": staff_only(),
    "grants:staff-programme": staff_only(kwargs=grant_programme_arg),
    # An empty POST of an import: a message, nothing changes.
    "grants:staff-programme-action": staff_only(
        kwargs=lambda w: {"pk": w.grant_programme.pk, "action": "import"}
    ),
    "grants:staff-application": staff_only(kwargs=grant_application_arg),
    # --- API ------------------------------------------------------------------------------
    "api:auth-token": public(),
    "api:counter-identify": devices_only(),
    "api:wallet-payment-code": citizens(),
    "api:wallet": citizens(),
    "api:wallet-history": citizens(),
    "api:wallet-charges": citizens(),
    "api:wallet-charge": citizen_a_only(order_arg),
    "api:wallet-charge-cancel": citizen_a_only(order_arg),
    "api:wallet-payments": citizens(),
    "api:wallet-refund": citizens(),
    "api:wallet-gifts": citizens(),
    "api:wallet-gift-cancel": row(
        forbidden=SIGNED_IN - CITIZENS | DEVICES,
        default=MISSING,
        kwargs=lambda w: {"gift_id": 999_999},
    ),
    "api:wallet-donations": citizens(),
    "api:statement": citizens(kwargs=lambda w: {"year": 2026}),
    "api:counter-payments": devices_only(),
    # Signed by the provider, checked over the raw body: no sign-in.
    "api:payments-callback": public(kwargs=lambda w: {"provider": "sandbox"}, other=OK),
    "api:campaigns": signed_in(),
    "api:campaign": signed_in(kwargs=campaign_arg),
    "api:campaign-shops": signed_in(kwargs=campaign_arg),
    "api:pledges": citizens(),
    "api:pledge-cancel": citizen_a_only(lambda w: {"pledge_id": w.pledge_a.pk}),
    "api:counter-redemptions": devices_only(),
    "api:counter-bills": devices_only(),
    "api:counter-notes": devices_only(),
    "api:rentals-agreement-list": staff_only(),
    "api:workplaces-list": public(),
    "api:workplaces-case-list": staff_only(),
    "api:workplaces-report-create": row(
        ok={"owner_x"}, forbidden=DEVICES, default=MISSING, kwargs=workplace_arg
    ),
    "api:grants-programme-list": signed_in(),
    "api:grants-application-list": citizens(),
    "api:grants-application-decide": staff_only(kwargs=grant_application_arg),
    "api:grants-programme-pay": staff_only(kwargs=grant_programme_arg),
    "api:dashboard-totals": staff_only(),
    "api:sales": staff_only(),
    "api:sale": staff_only(kwargs=sale_arg),
    "api:sale-pause": staff_only(kwargs=sale_arg),
    "api:sale-resume": staff_only(kwargs=sale_arg),
    "api:sale-draw": staff_only(kwargs=sale_arg),
    "api:sale-audit": signed_in(kwargs=sale_arg),
    "api:sale-queue": citizens(kwargs=sale_arg),
    "api:sale-ticket": citizen_a_only(ticket_arg),
    "api:sale-ticket-pay": citizen_a_only(ticket_arg),
    "api:dashboard-circulation": staff_only(),
    # The shop's owner cancels a payment or a redemption of today at shop X. The world has no
    # redemption: the owner gets 404 for a made-up id; everyone else is refused before that.
    "api:shop-payment-cancel": row(
        ok={"owner_x"},
        forbidden={"clerk_x"} | DEVICES,
        default=MISSING,
        kwargs=lambda w: {"shop_id": w.shop_x.pk, "payment_id": w.payment_a.pk},
    ),
    "api:shop-redemption-cancel": row(
        forbidden={"clerk_x"} | DEVICES,
        default=MISSING,
        kwargs=lambda w: {"shop_id": w.shop_x.pk, "redemption_id": 999_999},
    ),
    # Any other address under /api/: the JSON 404, to everyone.
    "api-not-found": row(default=MISSING, anon=MISSING, other=MISSING),
}

PUBLIC_TABLE: dict[str, Row] = {
    "platform-home": public(),
    "healthz": public(),
}

# Not in the tables, on purpose:
# - ``admin:*``: Django's admin checks ``is_staff`` itself for every view; no person of a city
#   is Django staff (test_admin_is_closed_to_every_persona below proves the door is shut).
# - allauth's views (sign-in, sign-up, password, email, social logins): allauth's own code with
#   its own rate limits; sign-in, sign-out and session rotation are tested in
#   test_sessions_and_throttling.py. They are recognised by the module of their view.
SKIPPED_NAMESPACES = ("admin",)
SKIPPED_VIEW_MODULES = ("allauth.",)


def _walk(resolver, prefix="", namespace=None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield prefix + str(pattern.pattern), name, namespace, pattern.callback


def _skipped(namespace, callback, name) -> bool:
    module = getattr(callback, "__module__", "") or ""
    if namespace and namespace.split(":")[0] in SKIPPED_NAMESPACES:
        return True
    if module.startswith(SKIPPED_VIEW_MODULES):
        return True
    # allauth's old /accounts/social/* addresses are RedirectViews built by allauth.
    view_class = getattr(callback, "view_class", None)
    return bool(view_class and view_class.__module__.startswith("django.views.generic")) and (
        not name
    )


def url_inventory(urlconf: str) -> list[tuple[str, str | None, object]]:
    return [
        (route, name, callback)
        for route, name, namespace, callback in _walk(get_resolver(urlconf))
        if not _skipped(namespace, callback, name)
    ]


@pytest.mark.parametrize(
    ("urlconf", "table"),
    [("jeonju_prepay.urls_city", CITY_TABLE), ("jeonju_prepay.urls_public", PUBLIC_TABLE)],
)
def test_every_url_has_exactly_one_row(urlconf, table):
    inventory = url_inventory(urlconf)
    unnamed = [route for route, name, _cb in inventory if not name]
    assert not unnamed, f"URLs without a name cannot be classified: {unnamed}"
    names = [name for _route, name, _cb in inventory]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"URL names used twice (reverse() is ambiguous): {duplicates}"
    missing = sorted(set(names) - set(table))
    assert not missing, f"unclassified URLs: add a row to the access table for {missing}"
    stale = sorted(set(table) - set(names))
    assert not stale, f"rows for URLs that no longer exist: {stale}"


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response.get("Location", "")


def _verdict(expected, response, method: str, api: bool) -> str | None:
    """None when the response is what ``expected`` says, else a short complaint."""
    code = response.status_code
    if code >= 500:
        return f"{code} (server error)"
    if expected == OK:
        if code in (401, 403, 404) or _is_login_redirect(response):
            return f"refused with {code} {response.get('Location', '')}"
        return None
    allowed = {405}  # a method the view does not take; it reveals nothing
    if expected == LOGIN:
        return None if _is_login_redirect(response) else f"{code}, not a redirect to sign in"
    if expected == UNAUTHENTICATED:
        allowed |= {401, 403}
    else:
        allowed.add(expected)
    if code not in allowed:
        return f"{code}, expected {expected}"
    return None


def _leaks(world, persona, path, response) -> list[str]:
    if response.get("Content-Type", "").startswith(("image/png", "application/octet")):
        return []
    body = response.content.decode("utf-8", "replace")
    return [
        marker
        for marker, who in world.markers.items()
        if persona not in who and marker not in path and marker in body
    ]


def _paths(world, table, urlconf=None):
    for name, spec in table.items():
        kwargs = spec.kwargs(world) if spec.kwargs else {}
        yield name, spec, reverse(name, kwargs=kwargs, urlconf=urlconf)


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(world, caller, persona):
    call = caller(persona)
    failures = []
    paths = list(_paths(world, CITY_TABLE))
    # GETs first: the empty POSTs of a persona may change the world (revoke a device, cancel a
    # pledge) and would change what a later GET is about.
    for method in ("GET", "POST"):
        for name, spec, path in paths:
            api = path.startswith("/api/")
            response = call(method, path, api=api)
            expected = spec.expect(persona, api)
            complaint = _verdict(expected, response, method, api)
            if complaint:
                failures.append(f"{method} {path} ({name}): {complaint}")
            leaked = _leaks(world, persona, path, response)
            if leaked:
                failures.append(f"{method} {path} ({name}): shows {leaked}")
    assert not failures, f"{persona}:\n" + "\n".join(failures)


def test_public_host_matrix(world, caller):
    """The platform host (public schema) serves its home and health check to anyone and knows
    no city's people: a city's session cookie there is nobody's."""
    from django.test import Client

    staff = caller("staff")
    for cookie in (None, staff.page_client.cookies["sessionid"].value):
        client = Client(HTTP_HOST="localhost", raise_request_exception=False)
        if cookie:
            client.cookies["sessionid"] = cookie
        for name, _spec, path in _paths(world, PUBLIC_TABLE, "jeonju_prepay.urls_public"):
            response = client.get(path)
            assert response.status_code == 200, (name, response.status_code)
            assert not _leaks(world, "anonymous", path, response)
        admin = client.get("/admin/")
        assert admin.status_code == 302
        assert "/admin/login/" in admin["Location"]
        from django.db import connection

        connection.set_tenant(world.city)


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_is_closed_to_every_persona(world, caller, persona):
    call = caller(persona)
    for path in ("/admin/", "/admin/accounts/user/", "/admin/ledger/account/"):
        response = call("GET", path, api=False)
        assert response.status_code == 302, (path, response.status_code)
        assert "/admin/login/" in response["Location"]


def test_the_markers_show_where_they_belong(world, caller):
    """The leak check looks for strings that do appear on their owners' pages (so it can fail)."""
    seen = {
        ("citizen_a", "/me/profile/"): [world.citizen_a.email, world.citizen_a.name],
        ("citizen_a", "/wallet/"): [world.charge_a.order_id],
        ("landlord", f"/rentals/leases/{world.lease.pk}/"): [world.property.address],
        ("landlord_b", "/me/profile/"): [world.landlord_b.email],
        ("citizen_b", f"/campaigns/{world.campaign.pk}/"): ["보안시험 캠페인", "엑스분식"],
    }
    for (persona, path), markers in seen.items():
        body = caller(persona)("GET", path).content.decode()
        for marker in markers:
            assert marker in world.markers
            assert marker in body, (persona, path, marker)
