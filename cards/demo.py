"""Demo cards, paper notes and desks, in every state. Idempotent: every money step has a fixed
idempotency key (a second run replays it), every other step looks before it creates.

- desks: a partner bank branch (teller@demo.kr) and a community centre (centre@demo.kr), where
  staff@demo.kr serves too;
- cards: citizen@demo.kr's active card (PIN 123456); the phone-only citizen's first card blocked
  as lost and its replacement, charged with cash at the centre and used at a shop;
- notes: a batch of each face value (notes in stock, sold, one redeemed at a shop), a cancelled
  batch, and a sold note of an expired batch;
- the community centre's day closed (balanced); the bank branch's day open.
"""

from __future__ import annotations

import datetime as dt

from accounts.demo import DEMO_PASSWORD, PHONE_ONLY_CITIZEN
from accounts.models import User
from accounts.roles import Role
from accounts.services import role_grant, user_create
from ledger.services import Idem, business_date_today
from merchants.models import Shop

from .models import Card, Desk, DeskClose, Note, NoteBatch
from .services import (
    batch_cancel,
    batch_create,
    card_block,
    card_issue,
    card_pay,
    card_replace,
    desk_charge,
    desk_close,
    note_check_code,
    note_redeem,
    notes_sell,
)

DEMO_PIN = "123456"
DESK_STAFF = [
    ("teller@demo.kr", "전북은행 창구", Role.BANK_TELLER),
    ("centre@demo.kr", "풍남동 주무관", Role.COMMUNITY_STAFF),
]


def _user(email, name, role) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_create(email=email, password=DEMO_PASSWORD, name=name, roles=[role])
    role_grant(user=user, role=role)
    return user


def _desk(name, kind, staff) -> Desk:
    desk, _created = Desk.objects.get_or_create(name=name, defaults={"kind": kind})
    desk.staff.add(*staff)
    return desk


def seed(ctx) -> None:
    today = business_date_today()
    city_staff = User.objects.get(email="staff@demo.kr")
    teller, centre_staff = (_user(*row) for row in DESK_STAFF)
    bank = _desk("전북은행 전주시청지점", Desk.Kind.BANK_BRANCH, [teller, city_staff])
    centre = _desk("풍남동 행정복지센터", Desk.Kind.COMMUNITY_CENTRE, [centre_staff, city_staff])
    citizen = User.objects.get(email="citizen@demo.kr")
    grandma = User.objects.get(phone=PHONE_ONLY_CITIZEN[0])
    shop = Shop.objects.filter(status=Shop.Status.APPROVED).order_by("id").first()

    # Cards: citizen@demo.kr's, and the phone-only citizen's lost one and its replacement.
    card = Card.objects.filter(user=citizen, status=Card.Status.ACTIVE).first()
    if card is None:
        card = card_issue(user=citizen, by=centre_staff, pin=DEMO_PIN, desk=centre)
    if not Card.objects.filter(user=grandma).exists():
        lost = card_issue(user=grandma, by=centre_staff, pin=DEMO_PIN, desk=centre)
        card_block(card=lost, by=grandma, reason="분실")
        card_replace(card=lost, by=centre_staff, pin=DEMO_PIN, desk=centre)
    replacement = Card.objects.get(user=grandma, status=Card.Status.ACTIVE)
    desk_charge(
        desk=centre,
        staff=centre_staff,
        user=grandma,
        amount=100_000,
        method="cash",
        card=replacement,
        idem=Idem.of("demo", "cards:grandma-cash", 1),
    )
    desk_charge(
        desk=centre,
        staff=centre_staff,
        user=grandma,
        amount=50_000,
        method="transfer",
        card=replacement,
        idem=Idem.of("demo", "cards:grandma-transfer", 1),
    )
    if shop is not None:
        card_pay(
            shop=shop,
            number=replacement.number,
            pin=DEMO_PIN,
            amount=12_000,
            idem=Idem.of("demo", "cards:grandma-pays", 1),
        )
    if not DeskClose.objects.filter(desk=centre).exists():
        desk_close(desk=centre, staff=centre_staff, counted=100_000)

    # Paper notes: a batch of each value; three sold to the phone-only citizen at the bank.
    if not NoteBatch.objects.exists():
        for face in (5_000, 10_000, 50_000):
            batch_create(
                by=city_staff,
                face_value=face,
                count=20,
                expires_on=today.replace(year=today.year + 5),
            )
        stolen = batch_create(
            by=city_staff, face_value=10_000, count=5, expires_on=today + dt.timedelta(days=365)
        )
        batch_cancel(batch=stolen, by=city_staff, reason="운송 중 분실")
        short = batch_create(
            by=city_staff, face_value=5_000, count=2, expires_on=today + dt.timedelta(days=1)
        )
        notes_sell(
            desk=bank,
            teller=teller,
            buyer=grandma,
            counts={5_000: 1},
            idem=Idem.of("demo", "cards:expired-sale", 1),
        )
        # Only time expires a batch; the demo moves this one's validity back so the state shows.
        NoteBatch.objects.filter(pk=short.pk).update(expires_on=today - dt.timedelta(days=1))
    sale = notes_sell(
        desk=bank,
        teller=teller,
        buyer=grandma,
        counts={5_000: 2, 10_000: 2, 50_000: 2},
        idem=Idem.of("demo", "cards:grandma-notes", 1),
    ).body
    sold = [Note.objects.get(serial=s) for s in sale["serials"]]
    if shop is not None:
        used = next(n for n in sold if n.face_value == 10_000)
        note_redeem(
            shop=shop,
            serial=used.serial,
            check=note_check_code(used.serial),
            idem=Idem.of("demo", "cards:note-redeemed", 1),
        )

    ctx.notes.append(
        f"Card of citizen@demo.kr: {card.number} (PIN {DEMO_PIN}); pay at /shops/<id>/counter/card/."
        " Desks: teller@demo.kr and centre@demo.kr at /cards/desk/; batches: staff@demo.kr at"
        " /cards/notes/."
    )
    for face in (5_000, 10_000, 50_000):
        unsold = (
            Note.objects.filter(
                face_value=face,
                status=Note.Status.STOCK,
                batch__status=NoteBatch.Status.ACTIVE,
                batch__expires_on__gt=today,
            )
            .order_by("id")
            .first()
        )
        good = (
            Note.objects.filter(sale_id=sale["sale_id"], face_value=face, status=Note.Status.SOLD)
            .order_by("id")
            .first()
        )
        assert good is not None  # two of each value were sold, at most one redeemed
        lines = [f"{face:,} won notes: sold {good.serial} check {note_check_code(good.serial)}"]
        if unsold is not None:
            lines.append(f"unsold {unsold.serial} check {note_check_code(unsold.serial)}")
        ctx.notes.append("; ".join(lines))
