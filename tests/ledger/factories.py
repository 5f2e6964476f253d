import factory

from ledger.models import Account
from tests.accounts.factories import CitizenFactory


class WalletAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    kind = Account.Kind.WALLET_PRINCIPAL
    owner_user = factory.SubFactory(CitizenFactory)
    balance = 0
    may_go_negative = False


class SystemAccountFactory(factory.django.DjangoModelFactory):
    """A counterpart that may go negative; shard numbers keep several apart."""

    class Meta:
        model = Account

    kind = Account.Kind.OUTSIDE_WORLD
    shard = factory.Sequence(lambda n: n + 100)
    may_go_negative = True
