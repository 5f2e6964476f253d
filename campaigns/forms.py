from django import forms
from django.utils.translation import gettext_lazy as _

from merchants.models import Category
from vouchers.forms import AmountField, IdempotentForm

from .models import Campaign, Organisation


class ShopFilterForm(forms.Form):
    district = forms.ChoiceField(label=_("District"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    q = forms.CharField(label=_("Name"), required=False, max_length=50)

    def __init__(self, *args, districts=(), categories=(), **kwargs):
        """``categories``: the values to offer (the campaign's shops', none the city excludes)."""
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("All"))] + [(d, d) for d in districts]
        labels = dict(Category.choices)
        self.fields["category"].choices = [("", _("All"))] + [(c, labels[c]) for c in categories]


class PledgeForm(IdempotentForm):
    amount = AmountField(label=_("Amount (won)"))
    pay_with = forms.ChoiceField(
        label=_("Pay with"),
        choices=[("wallet", _("My wallet (with PIN)")), ("card", _("Card (payment provider)"))],
        widget=forms.RadioSelect,
        initial="wallet",
    )
    pin = forms.CharField(
        label=_("Payment PIN (for the wallet)"),
        required=False,
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class JoinOrganisationForm(forms.Form):
    invite_code = forms.CharField(label=_("Invitation code"), max_length=20)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "description",
            "starts_on",
            "ends_on",
            "target_participants",
            "target_amount",
            "min_pledge",
            "max_pledge",
            "max_per_citizen",
            "cap_per_shop",
            "validity_days",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }


class PhaseForm(forms.Form):
    number = forms.IntegerField(label=_("Number"), min_value=1, max_value=99)
    name = forms.CharField(label=_("Name"), max_length=100)
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    members_only = forms.BooleanField(
        label=_("Only members of participating organisations"), required=False
    )
    target_participants = forms.IntegerField(label=_("Target participants"), min_value=0, initial=0)
    target_amount = forms.IntegerField(label=_("Target amount (won)"), min_value=0, initial=0)


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)


class ShopJoinForm(forms.Form):
    shop = forms.ChoiceField(label=_("Shop"))
    bonus_bp = forms.IntegerField(
        label=_("Bonus for prepayments (basis points, paid by the shop)"),
        min_value=0,
        max_value=3000,
        initial=0,
        help_text=_("500 = 5% more value for the customer."),
    )

    def __init__(self, *args, shops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].choices = [(s.pk, s.name) for s in shops]


class GuaranteeFundForm(IdempotentForm):
    amount = AmountField(label=_("Add to the guarantee fund (won)"))
