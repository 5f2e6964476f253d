"""Forms check the shape of input only; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from districts.selectors import district_choices

from .models import HelpRequest, Workplace


class WorkplaceForm(forms.Form):
    shop = forms.TypedChoiceField(
        label=_("Reuse the details of my shop"), required=False, coerce=int, empty_value=None
    )
    name = forms.CharField(label=_("Workplace name"), max_length=100, required=False)
    business_number = forms.CharField(
        label=_("Business registration number"),
        max_length=12,
        required=False,
        help_text=_("10 digits, like 124-81-00998."),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    district = forms.ChoiceField(label=_("District (dong)"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), choices=Workplace.Industry.choices)
    size = forms.ChoiceField(label=_("Size"), choices=Workplace.Size.choices)
    baseline_headcount = forms.IntegerField(
        label=_("Baseline headcount"),
        min_value=1,
        max_value=100_000,
        help_text=_("Insured workers on your employment-insurance roster today."),
    )

    def __init__(self, *args, shops=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = district_choices(blank_label=_("Choose..."))
        if len(choices) > 1:
            self.fields["district"].choices = choices
        else:  # the city has no list yet: any name (the service checks again)
            self.fields["district"] = forms.CharField(
                label=_("District (dong)"), max_length=50, required=False
            )
        shop_field = self.fields["shop"]
        assert isinstance(shop_field, forms.ChoiceField)
        shop_field.choices = [("", _("No: enter the details"))] + [(s.pk, s.name) for s in shops]
        if not shops:
            del self.fields["shop"]


class PledgeForm(forms.Form):
    round_id = forms.IntegerField(widget=forms.HiddenInput)
    text_hash = forms.CharField(max_length=64, widget=forms.HiddenInput)
    representative_email = forms.EmailField(
        label=_("Email of the workers' representative"),
        help_text=_("They must have signed up; they co-sign the same text."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the city collects and uses the workplace's data and headcount reports "
            "to run the programme, and I sign the declaration above."
        )
    )


class CosignForm(forms.Form):
    text_hash = forms.CharField(max_length=64, widget=forms.HiddenInput)
    consent = forms.BooleanField(
        label=_(
            "As the workers' representative I agree that the city uses my name and signature "
            "for this declaration, and I sign the declaration above."
        )
    )


class ReportForm(forms.Form):
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-\d{2}$",
        max_length=7,
        help_text=_("Like 2021-03."),
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    headcount = forms.IntegerField(label=_("Headcount at the end of the month"), min_value=0)
    hires = forms.IntegerField(label=_("Hires"), min_value=0, initial=0)
    resignations = forms.IntegerField(label=_("Resignations"), min_value=0, initial=0)
    retirements = forms.IntegerField(label=_("Retirements"), min_value=0, initial=0)
    fixed_term_ends = forms.IntegerField(label=_("Ends of fixed terms"), min_value=0, initial=0)
    dismissals = forms.IntegerField(label=_("Dismissals"), min_value=0, initial=0)


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Employment-insurance roster"),
        help_text=_(
            "CSV, Excel (.xlsx) or PDF, at most 5 MB. Only you and city staff can open it."
        ),
    )


class OpeningsForm(forms.Form):
    openings = forms.IntegerField(label=_("Open positions"), min_value=0, max_value=100_000)


class WorkerReportForm(forms.Form):
    text = forms.CharField(
        label=_("What happened"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Only city staff read this. The employer never sees it or who wrote it."),
    )


class HelpRequestForm(forms.Form):
    former_workplace = forms.CharField(label=_("Former workplace"), max_length=100)
    wanted_industry = forms.ChoiceField(
        label=_("Industry wanted"), choices=Workplace.Industry.choices
    )
    note = forms.CharField(
        label=_("Experience and wishes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CaseCloseForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Reasons accepted")), ("breach", _("Breach confirmed"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class UnmaskForm(forms.Form):
    reason = forms.CharField(label=_("Why you need to know who reported"), max_length=1000)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class ImportForm(forms.Form):
    round_id = forms.TypedChoiceField(label=_("Round"), coerce=int)
    file = forms.FileField(
        label=_("Roster counts (CSV or .xlsx)"),
        help_text=_(
            "Columns: business_number, month, headcount, hires, resignations, retirements, "
            "fixed_term_ends, dismissals."
        ),
    )

    def __init__(self, *args, rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["round_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(r.pk, r.title) for r in rounds]


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    text = forms.CharField(label=_("Declaration text"), widget=forms.Textarea(attrs={"rows": 6}))
    starts_on = forms.DateField(
        label=_("Term from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Term until"), widget=forms.DateInput(attrs={"type": "date"}))
    tolerance_bp = forms.IntegerField(
        label=_("Headcount tolerance (basis points)"),
        min_value=0,
        max_value=10000,
        initial=1000,
        help_text=_("1000 is 10 percent of the baseline."),
    )
    premium_support = forms.IntegerField(
        label=_("Premium support per worker a month (won)"), min_value=0, initial=0
    )
    loan_interest_support = forms.IntegerField(
        label=_("Loan interest support per worker a month (won)"), min_value=0, initial=0
    )
    pay_in_gift_certificates = forms.BooleanField(
        label=_("Pay in Love Gift Certificates"), required=False
    )
    clawback_months = forms.IntegerField(
        label=_("Months clawed back on a breach (0 = all)"), min_value=0, max_value=120, initial=0
    )
    tax_deferral_months = forms.IntegerField(
        label=_("Local taxes deferred by (months)"), min_value=0, max_value=60, initial=0
    )
    priority_points = forms.IntegerField(
        label=_("Priority points"), min_value=0, max_value=100, initial=0
    )
    other_benefits = forms.CharField(
        label=_("Other benefits"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FundForm(forms.Form):
    amount = forms.IntegerField(label=_("Amount (won)"), min_value=1, max_value=100_000_000_000)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-\d{2}$",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
    )


class TaxDeferralForm(forms.Form):
    tax = forms.CharField(label=_("Tax"), max_length=100)
    amount = forms.IntegerField(label=_("Amount (won)"), min_value=1, max_value=10_000_000_000)
    original_due = forms.DateField(
        label=_("Originally due"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RepayForm(forms.Form):
    amount = forms.IntegerField(label=_("Amount repaid (won)"), min_value=1)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)


class MatchForm(forms.Form):
    workplace_id = forms.TypedChoiceField(label=_("Workplace with openings"), coerce=int)

    def __init__(self, *args, workplaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["workplace_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(w.pk, f"{w.name} ({w.openings})") for w in workplaces]


HELP_STATUSES = HelpRequest.Status
