from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_RANGE_DAYS = 400


class FilterForm(forms.Form):
    """The dashboard's filters (GET). Without dates: the phase's or campaign's period up to today
    (at most ``MAX_RANGE_DAYS``), else the last 30 days up to today."""

    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    end = forms.DateField(label=_("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=None, required=False, empty_label=_("All campaigns")
    )
    phase = forms.ModelChoiceField(
        label=_("Phase"), queryset=None, required=False, empty_label=_("All phases")
    )

    def __init__(self, *args, **kwargs):
        from campaigns.models import Campaign, Phase

        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.order_by("-starts_on", "pk")
        self.fields["phase"].queryset = Phase.objects.select_related("campaign").order_by(
            "campaign__starts_on", "campaign_id", "number"
        )

    def clean(self):
        from ledger.services import business_date_today

        data = super().clean()
        campaign, phase = data.get("campaign"), data.get("phase")
        if phase is not None and campaign is not None and phase.campaign_id != campaign.pk:
            raise forms.ValidationError(_("That phase belongs to another campaign."))
        if phase is not None:
            data["campaign"] = campaign = phase.campaign
        start, end = data.get("start"), data.get("end")
        period = phase or campaign
        today = business_date_today()
        if end is None:
            # Up to today, or a campaign that has not started yet: its whole period.
            end = min(period.ends_on, max(today, period.starts_on)) if period else today
        if start is None:
            # The period's start, or as far back as a range may go (a long-running campaign).
            start = period.starts_on if period is not None else end - timedelta(days=29)
            start = max(start, end - timedelta(days=MAX_RANGE_DAYS - 1))
        if start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (end - start).days >= MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(days)s days.") % {"days": MAX_RANGE_DAYS}
            )
        data["start"], data["end"] = start, end
        return data
