"""Factories of the good-rental registry. Agreements are made through ``agreement_propose`` so
their terms, hash and the landlord's signature are the real ones."""

import datetime as dt

import factory

from rentals.models import Agreement, Lease, Property
from rentals.services import ReductionTerms, agreement_propose, agreement_sign
from tests.accounts.factories import LandlordFactory
from tests.merchants.factories import ShopFactory


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    landlord = factory.SubFactory(LandlordFactory)
    address = factory.Sequence(lambda n: f"전주시 완산구 태조로 {n}")
    unit = "1층"
    district = "풍남동"


class LeaseFactory(factory.django.DjangoModelFactory):
    """A lease of 1,000,000 won a month for 2020-2021 to an approved shop."""

    class Meta:
        model = Lease

    property = factory.SubFactory(PropertyFactory)
    tenant_shop = factory.SubFactory(ShopFactory)
    kind = Lease.Kind.INITIAL
    monthly_rent = 1_000_000
    deposit = 20_000_000
    start_date = dt.date(2020, 1, 1)
    end_date = dt.date(2021, 12, 31)
    recorded_by = factory.SelfAttribute("property.landlord")


class AgreementFactory(factory.Factory):
    """A proposed agreement: 20% for 3 months from 2020-04-01, made by ``agreement_propose``."""

    class Meta:
        model = Agreement

    lease = factory.SubFactory(LeaseFactory)
    kind = "rate"
    rate_bp = 2000
    amount = None
    months = 3
    start_date = dt.date(2020, 4, 1)
    end_date = None
    property_tax_amount = 0
    income_over_threshold = False

    @classmethod
    def _create(
        cls, model_class, *, lease, kind, rate_bp, amount, months, start_date, end_date, **kwargs
    ):
        return agreement_propose(
            landlord=lease.property.landlord,
            lease=lease,
            terms=ReductionTerms(
                kind=kind,
                rate_bp=rate_bp if kind == "rate" else None,
                amount=amount if kind == "amount" else None,
                months=months,
                start_date=start_date,
                end_date=end_date,
            ),
            **kwargs,
        )


def tenant_of(agreement):
    """The owner of the agreement's tenant shop (the one who signs)."""
    return agreement.lease.tenant_shop.owner


def landlord_of(agreement):
    return agreement.lease.property.landlord


def signed(agreement):
    """The agreement, signed by its tenant on the current terms."""
    agreement_sign(agreement=agreement, by=tenant_of(agreement), terms_hash=agreement.terms_hash)
    agreement.refresh_from_db()
    return agreement


def terms(**overrides) -> ReductionTerms:
    values = {
        "kind": "rate",
        "rate_bp": 2000,
        "months": 3,
        "start_date": dt.date(2020, 4, 1),
    }
    values.update(overrides)
    return ReductionTerms(**values)
