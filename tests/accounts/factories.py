import factory

from accounts.models import User
from accounts.roles import Role
from accounts.services import role_grant

PASSWORD = "test-pass-1234"

KOREAN_NAMES = ["김민수", "이서연", "박지훈", "최수아", "정도윤", "강하은", "조예준", "윤지우"]


def _with_roles(*default_roles):
    """A post-generation hook that saves the user (hashed password) and grants roles."""

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        user.save()
        for role in default_roles if extracted is None else extracted:
            role_grant(user=user, role=role)

    return roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.kr")
    name = factory.Sequence(lambda n: KOREAN_NAMES[n % len(KOREAN_NAMES)])
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    roles = _with_roles()


class CitizenFactory(UserFactory):
    roles = _with_roles(Role.CITIZEN)


class StaffFactory(UserFactory):
    roles = _with_roles(Role.CITY_STAFF)


class OwnerFactory(UserFactory):
    roles = _with_roles(Role.MERCHANT_OWNER)


class ClerkFactory(UserFactory):
    roles = _with_roles(Role.MERCHANT_CLERK)


class LandlordFactory(UserFactory):
    roles = _with_roles(Role.LANDLORD)


class PhoneCitizenFactory(CitizenFactory):
    """A citizen with a mobile number and no email (an account made at a community centre)."""

    email = None
    phone = factory.Sequence(lambda n: f"0109{n:07d}")


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.ConsentRecord"

    user = factory.SubFactory(CitizenFactory)
    item = "marketing_sms"
    granted = True
    text_version = factory.LazyAttribute(lambda o: _version(o.item))
    language = "ko"
    source = "consent_page"


def _version(item: str) -> str:
    from accounts.consents import CONSENT_ITEMS

    return CONSENT_ITEMS[item].version
