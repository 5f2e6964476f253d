"""Forms check the shape of input only; the services decide what the city's policy allows."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from districts.forms import district_field
from jeonju_prepay.formatting import won
from ledger.exceptions import InvalidAmountError
from ledger.money import parse_amount

from .models import Agreement, Lease

DATE_WIDGET = {"type": "date"}


class WonField(forms.Field):
    """Whole won, typed as ``1200000``, ``1,200,000`` or ``1,200,000원``."""

    widget = forms.TextInput

    def __init__(self, *, minimum: int = 0, maximum: int = 100_000_000, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off", "maxlength": 20})

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if len(text) > 20:
            raise forms.ValidationError(_("An amount is a whole number of won, like 12000."))
        try:
            return parse_amount(text, minimum=self.minimum, maximum=self.maximum)
        except InvalidAmountError as exc:
            raise forms.ValidationError(exc.message, code="invalid_amount") from exc


def _date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE_WIDGET), **kwargs)


def _percent_field(label, *, minimum: str = "0", **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(minimum),
        max_value=Decimal(100),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


def percent_to_bp(value: Decimal | None) -> int | None:
    """``10.5`` (%) → ``1050`` basis points; at most two decimals, so the result is exact."""
    return None if value is None else int(value * 100)


class PropertyForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=200)
    unit = forms.CharField(
        label=_("Unit"), max_length=50, required=False, help_text=_("e.g. 1st floor, no. 101")
    )
    district = forms.CharField(label=_("District (dong)"), max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        district_field(self)


class LeaseForm(forms.Form):
    tenant_business_number = forms.CharField(
        label=_("Tenant shop's business registration number"),
        max_length=14,
        help_text=_("Ten digits, as on the lease contract. The shop must have joined the city."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    monthly_rent = WonField(label=_("Monthly rent (won)"), minimum=1)
    deposit = WonField(label=_("Deposit (won)"), minimum=0, maximum=10_000_000_000)
    start_date = _date_field(_("Lease starts"))
    end_date = _date_field(_("Lease ends"))


class LeaseChangeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What changes"),
        choices=[
            (Lease.Kind.CHANGE, _("The rent changes during the lease")),
            (Lease.Kind.RENEWAL, _("The lease is renewed")),
        ],
        widget=forms.RadioSelect,
    )
    monthly_rent = WonField(label=_("New monthly rent (won)"), minimum=1)
    deposit = WonField(label=_("Deposit (won)"), minimum=0, maximum=10_000_000_000)
    start_date = _date_field(_("In force from"))
    end_date = _date_field(
        _("Until"),
        required=False,
        help_text=_("For a rent change, leave empty: the lease's end date stays."),
    )


class ReductionForm(forms.Form):
    reduction_kind = forms.ChoiceField(
        label=_("Reduction given as"),
        choices=Agreement.ReductionKind.choices,
        widget=forms.RadioSelect,
        initial=Agreement.ReductionKind.RATE,
    )
    rate_percent = _percent_field(
        _("Reduction rate, in percent"),
        minimum="0.01",
        required=False,
        help_text=_("At least the city's minimum, e.g. 10 or 20."),
    )
    amount = WonField(
        label=_("Monthly reduction amount (won)"),
        minimum=1,
        required=False,
        help_text=_("Instead of a rate: the won taken off each month's rent."),
    )
    months = forms.IntegerField(label=_("Months covered"), min_value=1, max_value=60, initial=3)
    start_date = _date_field(_("Reduction starts"))
    end_date = _date_field(
        _("Reduction ends"),
        required=False,
        help_text=_("Leave empty: the last day of the months covered."),
    )

    def clean(self):
        data = super().clean()
        kind = data.get("reduction_kind")
        if kind == Agreement.ReductionKind.RATE and data.get("rate_percent") is None:
            self.add_error("rate_percent", _("Enter the reduction rate."))
        if kind == Agreement.ReductionKind.AMOUNT and data.get("amount") is None:
            self.add_error("amount", _("Enter the monthly reduction amount."))
        return data


class ReliefsForm(forms.Form):
    property_tax_amount = WonField(
        label=_("Annual property tax on the leased unit (won)"),
        minimum=0,
        maximum=1_000_000_000,
        required=False,
        help_text=_(
            "From your property-tax notice, for the part you lease. Used for the estimate only."
        ),
    )
    income_over_threshold = forms.TypedChoiceField(
        label=_("My income this year"),
        choices=[("no", _("Up to the threshold")), ("yes", _("Over the threshold"))],
        coerce=lambda value: value == "yes",
        empty_value=False,
        required=False,
        initial="no",
        widget=forms.RadioSelect,
        help_text=_("Above the threshold, the national credit is a smaller share of the cut."),
    )

    def __init__(self, *args, threshold: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if threshold is not None:
            amount = won(threshold)
            self.fields["income_over_threshold"].choices = [
                ("no", _("Up to %(amount)s") % {"amount": amount}),
                ("yes", _("Over %(amount)s") % {"amount": amount}),
            ]


class ProposeForm(ReliefsForm, ReductionForm):
    """The reduction's fields first, then the landlord's relief details."""


class SignForm(forms.Form):
    terms_hash = forms.CharField(max_length=64, widget=forms.HiddenInput)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional; the landlord sees it)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VerifyForm(forms.Form):
    terms_hash = forms.CharField(max_length=64, widget=forms.HiddenInput)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the landlord sees it)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PolicyForm(forms.Form):
    effective_from = _date_field(_("In force from"))
    min_reduction_percent = _percent_field(_("Minimum reduction, in percent"), minimum="0.01")
    min_months = forms.IntegerField(label=_("Minimum months"), min_value=1, max_value=60)
    property_tax_cut_percent = _percent_field(
        _("City property-tax cut on the leased area, in percent")
    )
    national_credit_percent = _percent_field(_("National good-landlord credit, in percent"))
    national_credit_high_income_percent = _percent_field(
        _("National credit when income is over the threshold, in percent")
    )
    high_income_threshold = WonField(
        label=_("Income threshold (won)"), minimum=0, maximum=100_000_000_000
    )
    renewal_cap_percent = _percent_field(_("Largest rent rise at renewal, in percent"))
