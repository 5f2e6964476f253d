from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jeonju_prepay import ratelimit
from jeonju_prepay.http import client_ip

# Failed admin sign-ins (the platform operators' and each city's /admin/login/).
ADMIN_LOGIN_FAILURES_PER_USERNAME = ratelimit.Limit("admin-login-user", 5, 15 * 60)
ADMIN_LOGIN_FAILURES_PER_IP = ratelimit.Limit("admin-login-ip", 10, 15 * 60)


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


class AdminLoginForm(AdminAuthenticationForm):
    """Django admin's sign-in form, throttled like the city's sign-in page: 5 failures for one
    email or 10 from one address in 15 minutes, and the password is no longer checked.
    (Django's own admin sign-in has no limit, and the platform operators sign in there.)"""

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        address = client_ip(self.request) if self.request else None
        address = address or "unknown"
        if ratelimit.is_limited(ADMIN_LOGIN_FAILURES_PER_USERNAME, username) or (
            ratelimit.is_limited(ADMIN_LOGIN_FAILURES_PER_IP, address)
        ):
            raise ValidationError(
                _("Too many failed attempts. Wait a few minutes and try again."),
                code="rate_limited",
            )
        try:
            return super().clean()
        except ValidationError:
            ratelimit.hit(ADMIN_LOGIN_FAILURES_PER_USERNAME, username)
            ratelimit.hit(ADMIN_LOGIN_FAILURES_PER_IP, address)
            raise
