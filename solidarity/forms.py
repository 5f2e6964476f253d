from django import forms
from django.utils.translation import gettext_lazy as _

from vouchers.forms import AmountField, IdempotentForm


class GiftForm(IdempotentForm):
    to = forms.CharField(
        label=_("Recipient's email address or mobile number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    amount = AmountField(label=_("Amount (won)"))
    message = forms.CharField(label=_("Message (optional)"), max_length=100, required=False)
    pin = forms.CharField(
        label=_("Payment PIN"),
        max_length=6,
        min_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class DonationForm(IdempotentForm):
    amount = AmountField(label=_("Amount to give (won)"))


class DonationPreferenceForm(forms.Form):
    cashback_to_fund = forms.BooleanField(
        label=_("Give all my cashback to the community fund (every night)"), required=False
    )


class RelayNominationForm(forms.Form):
    nominator: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Your organisation"), queryset=None, empty_label=None
    )
    nominee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Organisation to pass the baton to"), queryset=None
    )
    message = forms.CharField(label=_("Pass-the-baton message"), max_length=200)

    def __init__(self, *args, nominators=None, nominees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nominator"].queryset = nominators
        self.fields["nominee"].queryset = nominees


class AngelShopForm(forms.Form):
    SHARES = [(100, "1%"), (200, "2%"), (300, "3%"), (500, "5%"), (1000, "10%")]

    share_bp = forms.TypedChoiceField(
        label=_("Share of each day's sales given to the community fund"),
        choices=SHARES,
        coerce=int,
    )


class FundGrantForm(IdempotentForm):
    recipient = forms.CharField(label=_("Recipient"), max_length=100)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    amount = AmountField(label=_("Amount (won)"))
