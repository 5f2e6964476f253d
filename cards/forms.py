"""The desk's, the city's and the counter's forms for cards and paper notes (shape only: the
services check the rules)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from vouchers.forms import AmountField, IdempotentForm

from .models import NOTE_FACE_VALUES, DeskCharge


def _pin_field(label):
    # render_value stays False: a PIN never comes back onto a page, not even after an error.
    return forms.CharField(
        label=label,
        max_length=6,
        min_length=6,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{6}"}
        ),
    )


class PhoneFindForm(forms.Form):
    phone = forms.CharField(
        label=_("Citizen's mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


class AccountCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    identified = forms.BooleanField(
        label=_("I have checked the citizen's identity card"), required=True
    )
    consent = forms.BooleanField(
        label=_("The citizen agreed to the required terms, read out at the desk"), required=True
    )


class CardIssueForm(forms.Form):
    pin = _pin_field(_("Card PIN (6 digits, entered by the citizen)"))


class ChargeForm(IdempotentForm):
    amount = AmountField(label=_("Amount received (won)"), help_text=_("In steps of 1,000 won."))
    method = forms.ChoiceField(
        label=_("Received as"),
        choices=DeskCharge.Method.choices,
        widget=forms.RadioSelect,
        initial=DeskCharge.Method.CASH,
    )


class NotesSellForm(IdempotentForm):
    n5000 = forms.IntegerField(label=_("5,000 won notes"), min_value=0, max_value=200, initial=0)
    n10000 = forms.IntegerField(label=_("10,000 won notes"), min_value=0, max_value=200, initial=0)
    n50000 = forms.IntegerField(label=_("50,000 won notes"), min_value=0, max_value=200, initial=0)

    def counts(self) -> dict[int, int]:
        return {face: self.cleaned_data.get(f"n{face}") or 0 for face in NOTE_FACE_VALUES}


class CloseForm(forms.Form):
    counted = AmountField(label=_("Cash counted in the drawer (won)"))


class BlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class BatchForm(forms.Form):
    face_value = forms.TypedChoiceField(
        label=_("Face value"),
        coerce=int,
        choices=[(v, f"{v:,}") for v in NOTE_FACE_VALUES],
    )
    count = forms.IntegerField(label=_("Number of notes"), min_value=1, max_value=10_000)
    expires_on = forms.DateField(
        label=_("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=lambda: dt.date.today().replace(year=dt.date.today().year + 5),  # noqa: DTZ011
    )


class BatchCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why (lost, stolen...)"), max_length=200)


class CardPayForm(IdempotentForm):
    card = forms.CharField(
        label=_("Card number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}
        ),
    )
    amount = AmountField(label=_("Amount (won)"))
    pin = _pin_field(_("PIN (the customer enters it)"))


class NoteAcceptForm(IdempotentForm):
    serial = forms.CharField(
        label=_("Serial number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}
        ),
    )
    check = forms.CharField(
        label=_("Check code"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
