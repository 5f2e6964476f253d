from django import forms
from django.utils.translation import gettext_lazy as _

from districts.forms import district_field

from .models import Category, SalesBracket, Shop, ShopPolicy

BANKS = [
    "NH농협은행",
    "KB국민은행",
    "신한은행",
    "우리은행",
    "하나은행",
    "IBK기업은행",
    "전북은행",
    "광주은행",
    "카카오뱅크",
    "토스뱅크",
    "우체국",
    "새마을금고",
    "신협",
]


class ShopRegisterForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=100)
    business_number = forms.CharField(
        label=_("Business registration number"),
        max_length=14,
        help_text=_("Ten digits, e.g. 123-45-67890."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    district = forms.CharField(label=_("District (dong)"), max_length=50)
    address = forms.CharField(label=_("Address"), max_length=200)
    phone = forms.CharField(
        label=_("Phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    sales_bracket = forms.ChoiceField(label=_("Annual sales"), choices=SalesBracket.choices)
    bank_name = forms.ChoiceField(
        label=_("Bank"), choices=[(b, b) for b in BANKS], help_text=_("For settlements.")
    )
    bank_account = forms.CharField(
        label=_("Account number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    bank_holder = forms.CharField(label=_("Account holder"), max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        district_field(self)


class ShopEditForm(forms.ModelForm):
    class Meta:
        model = Shop
        fields = ["name", "district", "address", "phone", "bank_name", "bank_holder"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        district_field(self, include=self.instance.district if self.instance else "")


class ReviewForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("approve", _("Approve")),
            ("reject", _("Reject")),
            ("suspend", _("Suspend")),
            ("close", _("Mark closed")),
        ]
    )
    reason = forms.CharField(
        label=_("Reason (the owner sees it)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ShopPolicyForm(forms.ModelForm):
    excluded_categories = forms.MultipleChoiceField(
        label=_("Excluded categories"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ShopPolicy
        fields = ["sales_ceiling", "excluded_categories"]


class DeviceForm(forms.Form):
    name = forms.CharField(label=_("Device name"), max_length=50, help_text=_("e.g. 카운터 태블릿"))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Clerk's email"))


class ShopPayForm(forms.Form):
    """A payment to another shop: its code (typed, or the address its QR opens), the amount,
    and the key that makes a double submit pay once."""

    payee_code = forms.CharField(
        label=_("The other shop's code"),
        max_length=300,
        help_text=_("The code under the shop's QR, or the address the QR opens."),
    )
    amount = forms.IntegerField(label=_("Amount (won)"), min_value=1, max_value=1_000_000_000)
    memo = forms.CharField(label=_("Memo"), max_length=100, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ShopPaymentPolicyForm(forms.Form):
    enabled = forms.BooleanField(label=_("Shops may pay other shops"), required=False)
    payee_categories = forms.MultipleChoiceField(
        label=_("Categories that may receive shop-to-shop payments"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    per_payment_limit = forms.IntegerField(
        label=_("Largest payment (won)"), min_value=1, max_value=1_000_000_000
    )
    daily_limit = forms.IntegerField(
        label=_("Most a shop may pay in a day (won)"), min_value=1, max_value=1_000_000_000
    )
