"""Demo users of every role, in the current city's schema. Idempotent."""

from __future__ import annotations

from .consents import CONSENT_ITEMS
from .models import ConsentRecord, User
from .phone import phone_display
from .roles import Role
from .services import consents_record, role_grant, user_create, user_create_assisted

DEMO_PASSWORD = "demo-pass-2021"  # noqa: S105 - published demo password, refused in production

DEMO_USERS = [
    ("citizen@demo.kr", "김민수", [Role.CITIZEN]),
    ("owner@demo.kr", "박정희", [Role.MERCHANT_OWNER, Role.CITIZEN]),
    ("clerk@demo.kr", "이수진", [Role.MERCHANT_CLERK]),
    ("landlord@demo.kr", "최영호", [Role.LANDLORD]),
    ("staff@demo.kr", "정다은", [Role.CITY_STAFF]),
]
EXTRA_CITIZENS = ["이서연", "최지훈", "정하은", "강도윤", "조서준", "윤지우", "장예준", "임수아"]
# Landlords and shop owners of the demo data beyond the headline logins.
EXTRA_OWNERS = ["한상철", "오미경", "서정훈", "신은영", "권태호", "황보라"]
# Mobile numbers of the demo (the 010-5555 block is not given to real lines in these demos).
CITIZEN_PHONES = {  # these two also sign in with a code
    "citizen@demo.kr": "01055550001",
    "citizen2@demo.kr": "01055550002",
}
PHONE_ONLY_CITIZEN = ("01055550100", "김순자")  # no email: made at a community centre
# Advertising consents of the demo citizens (the rest agreed to the required items only).
DEMO_MARKETING = {"citizen@demo.kr": ["email"], "citizen2@demo.kr": ["sms"]}


def seed(ctx) -> None:
    users = ctx.users
    for email, name, roles in DEMO_USERS:
        users[email] = _ensure(email, name, roles)
    for i, name in enumerate(EXTRA_CITIZENS, start=2):
        email = f"citizen{i}@demo.kr"
        users[email] = _ensure(email, name, [Role.CITIZEN])
    for i, name in enumerate(EXTRA_OWNERS, start=2):
        email = f"owner{i}@demo.kr"
        users[email] = _ensure(email, name, [Role.MERCHANT_OWNER])
    _phones_and_consents(ctx)


def _phones_and_consents(ctx) -> None:
    users = ctx.users
    for email, phone in CITIZEN_PHONES.items():
        citizen = users[email]
        if not citizen.phone and not User.objects.filter(phone=phone).exists():
            citizen.phone = phone
            citizen.save(update_fields=["phone"])
    for email, user in users.items():
        if ConsentRecord.objects.filter(user=user).exists():
            continue
        marketing = DEMO_MARKETING.get(email, [])
        choices = {
            code: item.required or item.channel in marketing
            for code, item in CONSENT_ITEMS.items()
            if item.kind != "service"
        }
        consents_record(
            user=user, choices=choices, source=ConsentRecord.Source.DEMO, record_all=True
        )
    phone, name = PHONE_ONLY_CITIZEN
    grandma = User.objects.filter(phone=phone).first()
    if grandma is None:
        grandma = user_create_assisted(
            created_by=users["staff@demo.kr"], phone=phone, name=name, marketing=["sms"]
        )
    users["phone-only"] = grandma
    ctx.notes.append(
        f"Phone-only citizen {name}: {phone_display(phone)} (also citizen@demo.kr:"
        f" {phone_display(CITIZEN_PHONES['citizen@demo.kr'])}). Sign in at /accounts/phone/;"
        " the code is on the"
        " sandbox outbox, /messages/sandbox/. Consents: /me/consents/."
    )


def _ensure(email: str, name: str, roles) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_create(email=email, password=DEMO_PASSWORD, name=name, roles=roles)
    else:
        for role in roles:
            role_grant(user=user, role=role)
    return user
