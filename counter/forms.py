"""The counter's forms: the customer's code, and one bill."""

from django import forms
from django.utils.translation import gettext_lazy as _

from vouchers.forms import AmountField, IdempotentForm


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Customer's code"),
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "class": "code-input",
                "placeholder": "0000 0000 0000 0000",
                "autofocus": True,
            }
        ),
    )


class BillForm(IdempotentForm):
    """The whole bill: the prepaid balance at this shop first, the rest from the wallet."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=200)
    amount = AmountField(label=_("Bill (won)"))
