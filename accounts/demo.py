"""Demo users of every role, in the current city's schema. Idempotent."""

from __future__ import annotations

from .models import User
from .roles import Role
from .services import role_grant, user_create

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


def _ensure(email: str, name: str, roles) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_create(email=email, password=DEMO_PASSWORD, name=name, roles=roles)
    else:
        for role in roles:
            role_grant(user=user, role=role)
    return user
