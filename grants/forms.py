"""Forms of the grants' pages: shape only; the rules are in ``grants.services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merchants.models import Category, SalesBracket

from .models import Programme
from .services import APPROVE, DOCUMENT_TYPES, REJECT, REQUEST_DOCUMENTS


class ApplyForm(forms.Form):
    group = forms.ChoiceField(label=_("Which describes you"), widget=forms.RadioSelect)
    identifier = forms.CharField(
        label=_("Resident registration number"),
        max_length=20,
        help_text=_("Checked against the city's lists and kept only as a fingerprint."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    household = forms.CharField(label=_("Registered address"), max_length=200)
    household_size = forms.IntegerField(
        label=_("Household members"), min_value=1, max_value=20, initial=1
    )
    document = forms.FileField(
        label=_("Evidence"),
        required=False,
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(DOCUMENT_TYPES)}),
    )
    consent = forms.BooleanField(label=_("I declare the above and agree to the checks"))

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            (g.code, f"{g.name} — {g.evidence}" if g.evidence else g.name)
            for g in programme.groups.all()
        ]


class DocumentForm(forms.Form):
    label = forms.CharField(label=_("What it shows"), max_length=100)
    document = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(DOCUMENT_TYPES)}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (APPROVE, _("Approve")),
            (REJECT, _("Reject")),
            (REQUEST_DOCUMENTS, _("Ask for a document")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (for the applicant)"),
        max_length=300,
        required=False,
        help_text=_("Needed to reject or to ask for a document."),
    )


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    per = forms.ChoiceField(label=_("One grant per"), choices=Programme.Per.choices)
    amount_rule = forms.ChoiceField(label=_("Amount"), choices=Programme.AmountRule.choices)
    fixed_amount = forms.IntegerField(
        label=_("Fixed amount (won)"), min_value=0, required=False, initial=0
    )
    median_share_percent = forms.DecimalField(
        label=_("Share of the median income (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    median_table = forms.CharField(
        label=_("Standard median income by household size (won a month)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One line per size: 1=1757194"),
    )
    apply_from = forms.DateField(
        label=_("Applications from"), widget=forms.DateInput({"type": "date"})
    )
    apply_until = forms.DateField(
        label=_("Applications until"), widget=forms.DateInput({"type": "date"})
    )
    spend_until = forms.DateField(label=_("Spend until"), widget=forms.DateInput({"type": "date"}))
    budget = forms.IntegerField(label=_("Budget (won)"), min_value=1)
    groups = forms.CharField(
        label=_("Eligibility groups"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One line per group: code | name | evidence to show"),
    )
    health_premium_max = forms.IntegerField(
        label=_("Highest health-insurance premium (won a month)"), min_value=0, required=False
    )
    property_tax_max = forms.IntegerField(
        label=_("Highest property tax (won a year)"), min_value=0, required=False
    )
    excluded_categories = forms.MultipleChoiceField(
        label=_("Not spendable at"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    districts = forms.CharField(
        label=_("Only in these districts"),
        required=False,
        help_text=_("Separated by commas; empty: everywhere in the city."),
    )
    max_sales_bracket = forms.ChoiceField(
        label=_("Largest annual sales of a shop"),
        choices=[("", _("Any")), *SalesBracket.choices],
        required=False,
    )
    cashback_on_grant = forms.BooleanField(label=_("Cashback on grant money"), required=False)

    def clean_median_table(self) -> dict:
        table = {}
        for line in self.cleaned_data.get("median_table", "").splitlines():
            if not line.strip():
                continue
            size, _sep, won = line.partition("=")
            try:
                table[str(int(size))] = int(won.replace(",", "").strip())
            except ValueError:
                raise forms.ValidationError(
                    _("Write each line as size=won, e.g. 1=1757194.")
                ) from None
        return table

    def clean_groups(self) -> list[tuple[str, str, str]]:
        groups = []
        for line in self.cleaned_data.get("groups", "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 2:
                raise forms.ValidationError(_("Write each group as code | name | evidence."))
            groups.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
        return groups


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("List"),
        choices=[
            ("income", _("Premiums and property tax")),
            ("other_aid", _("People already on other support")),
        ],
    )
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_("A header row with identifier, health_premium, property_tax"),
    )
