from django import forms
from django.utils.translation import gettext_lazy as _

from vouchers.models import CitizenGroup

from .models import Sale


class SaleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    amount = forms.IntegerField(label=_("Amount on sale (won)"), min_value=1_000)
    incentive_bp = forms.IntegerField(
        label=_("Incentive rate (basis points)"),
        min_value=0,
        max_value=3000,
        help_text=_("1,000 basis points are 10%."),
    )
    per_person_limit = forms.IntegerField(label=_("Per-person limit (won)"), min_value=1_000)
    opens_at = forms.DateTimeField(
        label=_("Opens at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    mode = forms.ChoiceField(label=_("Allocation mode"), choices=Sale.Mode.choices)
    priority_groups = forms.MultipleChoiceField(
        label=_("Priority groups"),
        choices=CitizenGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pay_minutes = forms.IntegerField(
        label=_("Minutes to pay once admitted"), min_value=1, max_value=1440, initial=10
    )


class JoinForm(forms.Form):
    amount = forms.IntegerField(label=_("Amount to buy (won)"), min_value=1_000)
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        min_value=1900,
        max_value=2100,
        required=False,
        help_text=_("Only its last digit is kept, to know your day."),
    )
