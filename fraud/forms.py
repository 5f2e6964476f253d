from __future__ import annotations

import dataclasses

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CaseDecision
from .rules import Thresholds

# What each threshold means, as staff read it on the thresholds page (docs/fraud.md has more).
LABELS = {
    "window_days": _("Days of payments scored each night"),
    "monthly_charge_limit": _("Monthly charge limit (won) the round amounts are compared with"),
    "round_unit": _("A round amount is a multiple of (won)"),
    "near_limit_bp": _("Close to the limit from (basis points of the limit)"),
    "round_min_count": _("Round payments close to the limit before a shop is flagged"),
    "fast_minutes": _("Minutes after a charge that count as 'at once'"),
    "fast_share_bp": _("Share of a charge spent at once at one shop (basis points)"),
    "fast_min_citizens": _("Citizens spending a charge at once at one shop before it is flagged"),
    "off_hours_start": _("Off hours start (o'clock)"),
    "off_hours_end": _("Off hours end (o'clock)"),
    "off_hours_share_bp": _("Share of a shop's sales in off hours (basis points)"),
    "off_hours_min_amount": _("Least off-hours sales (won)"),
    "new_shop_days": _("A shop is new for (days after approval)"),
    "new_shop_min_sales": _("Sales of a new shop that count as a spike (won)"),
    "over_bracket_bp": _("Annualised sales above the declared bracket's top (basis points)"),
    "group_min_amount": _("Owners paying at each other's shops: least each way (won)"),
    "group_min_payments": _("Owners paying at each other's shops: least payments each way"),
    "refund_days": _("Days after an incentive charge within which a refund is flagged"),
    "case_score": _("Score that opens a case"),
}


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Decision"), choices=CaseDecision.Action.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ThresholdsForm(forms.Form):
    def __init__(self, *args, current: Thresholds, **kwargs):
        super().__init__(*args, **kwargs)
        for f in dataclasses.fields(Thresholds):
            self.fields[f.name] = forms.IntegerField(
                label=LABELS[f.name],
                min_value=0,
                max_value=10_000_000_000,
                initial=getattr(current, f.name),
                help_text=_("Default: %(value)s") % {"value": f"{f.default:,}"},
            )
