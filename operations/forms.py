from django import forms
from django.utils.translation import gettext_lazy as _

from .models import JobRun


class RunForm(forms.Form):
    business_date = forms.DateField(
        label=_("Business date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    step = forms.ChoiceField(
        label=_("Step"),
        choices=[("", _("All steps")), *JobRun.Step.choices],
        required=False,
    )
