import factory

from accounts.roles import Role
from cards.models import Desk
from tests.accounts.factories import UserFactory, _with_roles


class TellerFactory(UserFactory):
    roles = _with_roles(Role.BANK_TELLER)


class CommunityStaffFactory(UserFactory):
    roles = _with_roles(Role.COMMUNITY_STAFF)


class DeskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Desk
        skip_postgeneration_save = True

    kind = Desk.Kind.COMMUNITY_CENTRE
    name = factory.Sequence(lambda n: f"행정복지센터 {n}")

    @factory.post_generation
    def members(desk, create, extracted, **kwargs):
        for user in extracted or ():
            desk.staff.add(user)


def community_desk(staff=None):
    staff = staff or CommunityStaffFactory()
    return DeskFactory(kind=Desk.Kind.COMMUNITY_CENTRE, members=[staff]), staff


def bank_desk(teller=None):
    teller = teller or TellerFactory()
    desk = DeskFactory(kind=Desk.Kind.BANK_BRANCH, members=[teller])
    return desk, teller
