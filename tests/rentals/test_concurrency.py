"""Races of real threads on real PostgreSQL connections, with committed data."""

import datetime as dt

import pytest

from rentals.exceptions import AgreementStatusError, LeaseConflictError, TermsChangedError
from rentals.models import Agreement, Lease
from rentals.services import agreement_sign, agreement_update_terms, lease_record_rent_change
from tests.helpers import race
from tests.rentals.factories import AgreementFactory, LeaseFactory, landlord_of, tenant_of, terms

pytestmark = pytest.mark.slow


def test_signing_while_the_landlord_changes_the_terms_never_signs_stale_terms(live_city):
    for round_ in range(4):
        agreement = AgreementFactory(lease=LeaseFactory(), rate_bp=2000)
        seen = agreement.terms_hash

        def act(i, agreement=agreement, seen=seen, round_=round_):
            if i == 0:
                return agreement_sign(agreement=agreement, by=tenant_of(agreement), terms_hash=seen)
            return agreement_update_terms(
                landlord=landlord_of(agreement),
                agreement=agreement,
                terms=terms(rate_bp=2500 + round_),
            )

        results = race(live_city, 2, act)
        unexpected = [
            r
            for r in results
            if isinstance(r, BaseException) and not isinstance(r, TermsChangedError)
        ]
        assert not unexpected, results
        agreement = Agreement.objects.get(pk=agreement.pk)
        assert agreement.reduction_rate_bp == 2500 + round_  # the landlord's change always lands
        # Whichever came first, the agreement is never "signed" on terms the tenant did not sign.
        assert agreement.status == "proposed"
        assert not agreement.signatures.filter(
            party="tenant", terms_hash=agreement.terms_hash
        ).exists()


def test_two_later_records_of_one_lease_cannot_both_follow_it(live_city):
    lease = LeaseFactory()

    def change(i):
        return lease_record_rent_change(
            landlord=lease.property.landlord,
            lease=lease,
            kind="change",
            monthly_rent=900_000 + i,
            deposit=0,
            start_date=dt.date(2020, 3, 1),
        )

    results = race(live_city, 8, change)
    made = [r for r in results if isinstance(r, Lease)]
    refused = [r for r in results if isinstance(r, LeaseConflictError | AgreementStatusError)]
    assert len(made) == 1, results
    assert len(refused) == 7, results
    assert Lease.objects.filter(previous=lease).count() == 1
