from django import forms
from django.utils.translation import gettext_lazy as _

from .models import District
from .selectors import district_choices, district_names


class DistrictForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50, help_text=_("e.g. 풍남동, 삼례읍"))
    kind = forms.ChoiceField(label=_("Kind"), choices=District.Kind.choices)
    ward = forms.CharField(
        label=_("Ward (gu)"),
        max_length=50,
        required=False,
        help_text=_("e.g. 완산구; empty for a county"),
    )


class DistrictField(forms.CharField):
    """A district chosen from the city's list: the form field of every district input.

    Make it in the form's ``__init__`` (``district_field()``), not as a class attribute: the
    choices are read from the city's schema when the form is made, so a district staff add
    shows at once. ``include`` keeps the value already on a record even if it has gone out of
    use. A city with no list yet gets a text box (the service then takes any name)."""

    def __init__(self, *, include: str = "", **kwargs):
        kwargs.setdefault("label", _("District (dong)"))
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)
        self.names = set(district_names(include=include))
        if self.names:
            self.widget = forms.Select(
                choices=district_choices(include=include, blank_label=_("Choose…"))
            )
            self.widget.is_required = self.required

    def validate(self, value):
        super().validate(value)
        if self.names and value and value not in self.names:
            raise forms.ValidationError(
                _("Choose a district from the list."), code="invalid_choice"
            )


def district_field(form: forms.BaseForm, name: str = "district", *, include: str = "") -> None:
    """Puts a ``DistrictField`` in ``form`` under ``name`` (keeping the position and help)."""
    old = form.fields.get(name)
    form.fields[name] = DistrictField(
        include=include,
        required=old.required if old is not None else True,
        help_text=_("Choose from the city's list of districts."),
    )
