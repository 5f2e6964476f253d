import uuid
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from merchants.models import SalesBracket

from .models import BudgetMode, CitizenGroup, Policy


class IdempotentForm(forms.Form):
    """A money form carries a key made when the form is drawn: a double submit or a retry after
    a timeout sends the same key and moves money once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class AmountField(forms.CharField):
    """Whole won as the citizen types it ("12,000" is fine); checked again by the service."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
        )
        super().__init__(**kwargs)


class ChargeForm(forms.Form):
    amount = AmountField(label=_("Amount to charge (won)"), help_text=_("In steps of 1,000 won."))


class PayForm(IdempotentForm):
    amount = AmountField(label=_("Amount (won)"))
    pin = forms.CharField(
        label=_("Payment PIN"),
        max_length=6,
        min_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("New 6-digit PIN"),
        max_length=6,
        min_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    password = forms.CharField(
        label=_("Your account password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RefundForm(IdempotentForm):
    pass


def _rate(label, required=True, help_text=""):
    return forms.IntegerField(
        label=label, required=required, min_value=0, max_value=5000, help_text=help_text
    )


def _won(label, required=True, minimum=1, help_text=""):
    return forms.IntegerField(
        label=label, required=required, min_value=minimum, max_value=10**13, help_text=help_text
    )


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PolicyForm(forms.Form):
    """A new version of the wallet rules (city staff). Rates in basis points: 1000 = 10%."""

    effective_from = forms.DateField(label=_("Effective from"), widget=DATE)
    charge_incentive_bp = _rate(
        _("Charging incentive (basis points)"), help_text=_("1000 = 10%; 0 for none.")
    )
    cashback_bp = _rate(_("Cashback (basis points)"))
    monthly_charge_limit = _won(_("Monthly charge limit (won)"))
    annual_charge_limit = _won(_("Annual charge limit (won)"), required=False)
    holding_limit = _won(_("Holding limit (won)"), required=False)
    monthly_cashback_cap = _won(_("Monthly cashback cap (won)"), minimum=0)
    monthly_incentive_cap = _won(
        _("Monthly charging-incentive cap (won)"), required=False, minimum=0
    )
    carry_over = forms.BooleanField(label=_("Unused monthly limit carries over"), required=False)
    budget_mode = forms.ChoiceField(label=_("When the budget runs low"), choices=BudgetMode.choices)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        for value, label in SalesBracket.choices:
            self.fields[f"class_{value}"] = _rate(
                _("Cashback at shops with %(bracket)s (basis points)") % {"bracket": label},
                required=False,
                help_text=_("Blank: the cashback above."),
            )
        for value, label in CitizenGroup.choices:
            self.fields[f"group_{value}"] = _rate(
                _("Extra for %(group)s (basis points)") % {"group": label}, required=False
            )

    @classmethod
    def initial_from(cls, policy: Policy | None, today: date) -> dict:
        if policy is None:
            return {"effective_from": today, "budget_mode": BudgetMode.PRORATE}
        initial = {name: getattr(policy, name) for name in cls.base_fields}
        initial["effective_from"] = today
        for bracket, rate in (policy.shop_class_cashback_bp or {}).items():
            initial[f"class_{bracket}"] = rate
        for group, bonus in (policy.citizen_group_bonus_bp or {}).items():
            initial[f"group_{group}"] = bonus
        return initial

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day < self.today:
            raise forms.ValidationError(
                _("A new version takes effect today or later; the past stays as it was.")
            )
        return day

    def policy_fields(self) -> dict:
        """The keyword arguments of ``services.policy_set``, ``effective_from`` included (after
        ``is_valid()``)."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.base_fields}
        fields["shop_class_cashback_bp"] = {
            value: data[f"class_{value}"]
            for value in SalesBracket.values
            if data.get(f"class_{value}") is not None
        }
        fields["citizen_group_bonus_bp"] = {
            value: data[f"group_{value}"]
            for value in CitizenGroup.values
            if data.get(f"group_{value}")
        }
        return fields


class PolicyOverrideForm(forms.Form):
    """Different rules for a date range, e.g. 1,000,000 won and 20% cashback in Jan-Feb."""

    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("Until (inclusive)"), widget=DATE)
    monthly_charge_limit = _won(_("Monthly charge limit (won)"), required=False)
    cashback_bp = _rate(_("Cashback (basis points)"), required=False)
    charge_incentive_bp = _rate(_("Charging incentive (basis points)"), required=False)
    monthly_cashback_cap = _won(_("Monthly cashback cap (won)"), required=False, minimum=0)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, today: date, **kwargs):
        kwargs.setdefault("auto_id", "id_override_%s")  # on one page with PolicyForm
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if ends_on and ends_on < self.today:
            raise forms.ValidationError(_("The override would be over before it is made."))
        if starts_on and ends_on and ends_on < starts_on:
            raise forms.ValidationError(_("The override ends before it starts."))
        rules = (
            "monthly_charge_limit",
            "cashback_bp",
            "charge_incentive_bp",
            "monthly_cashback_cap",
        )
        if not any(data.get(name) is not None for name in rules):
            raise forms.ValidationError(_("An override changes at least one rule."))
        return data


class OverrideWithdrawForm(forms.Form):
    override = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class BudgetFundForm(IdempotentForm):
    """City money into the incentive budget for a period."""

    name = forms.CharField(label=_("Name"), max_length=100)
    starts_on = forms.DateField(label=_("Period start"), widget=DATE)
    ends_on = forms.DateField(label=_("Period end"), widget=DATE)
    amount = AmountField(label=_("Amount (won)"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_budget_%s")  # on one page with PolicyForm
        super().__init__(*args, **kwargs)


class CitizenGroupForm(forms.Form):
    citizen_group = forms.ChoiceField(label=_("Citizen group"), choices=CitizenGroup.choices)
