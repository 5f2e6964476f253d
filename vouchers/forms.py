import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CitizenGroup, Policy


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


class CounterPayForm(IdempotentForm):
    code = forms.CharField(widget=forms.HiddenInput, max_length=200)
    amount = AmountField(label=_("Amount (won)"))


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = [
            "effective_from",
            "charge_incentive_bp",
            "cashback_bp",
            "monthly_charge_limit",
            "annual_charge_limit",
            "holding_limit",
            "monthly_cashback_cap",
            "monthly_incentive_cap",
            "carry_over",
            "budget_mode",
        ]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"})}


class CitizenGroupForm(forms.Form):
    citizen_group = forms.ChoiceField(label=_("Citizen group"), choices=CitizenGroup.choices)


class CounterRedeemForm(IdempotentForm):
    """The bill at the counter: prepaid value first, the rest from the wallet."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=200)
    bill = AmountField(label=_("Bill (won)"))
