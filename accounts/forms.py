from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    """Extra fields on allauth's signup form (email and password come from allauth)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Your full name. Shops see it masked, e.g. 김*수."),
    )
    wants_landlord = forms.BooleanField(
        label=_("I am a landlord and want to register rent reductions"), required=False
    )

    def signup(self, request, user):
        # allauth calls this after saving the user; roles are given by the adapter.
        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])
