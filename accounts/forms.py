from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jeonju_prepay import ratelimit
from jeonju_prepay.http import client_ip

from .consents import CONSENT_ITEMS, item_text, marketing_items, required_items, service_items
from .models import User
from .phone import PhoneNumberError, phone_normalise

# Failed admin sign-ins (the platform operators' and each city's /admin/login/).
ADMIN_LOGIN_FAILURES_PER_USERNAME = ratelimit.Limit("admin-login-user", 5, 15 * 60)
ADMIN_LOGIN_FAILURES_PER_IP = ratelimit.Limit("admin-login-ip", 10, 15 * 60)


def consent_field_name(code: str) -> str:
    return f"consent_{code}"


def consent_field(item, *, required: bool) -> forms.BooleanField:
    return forms.BooleanField(
        label=item.title,
        required=required,
        help_text=item_text(item),
        error_messages={
            "required": _("You must agree to “%(title)s” to sign up.") % {"title": item.title}
        },
    )


class AccessibleFormMixin:
    """Renders with ``accounts/forms/p.html``: each field's help text and errors are tied to it
    with aria-describedby, and an invalid field says so (aria-invalid)."""

    template_name_p = "accounts/forms/p.html"
    template_name_div = "accounts/forms/p.html"

    def get_context(self):
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_helptext")
            if bound.errors:
                ids.append(f"{bound.auto_id}_error")
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
        return super().get_context()


class SignupForm(AccessibleFormMixin, forms.Form):
    """Extra fields on allauth's signup form (email and password come from allauth): the name,
    an optional mobile number, and the consents (required ones refuse the sign-up when not
    ticked; optional ones are recorded as ticked or refused, and can be changed later)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Your full name. Shops see it masked, e.g. 김*수."),
    )
    phone = forms.CharField(
        label=_("Mobile number (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("For receipts by text message and signing in with a code, e.g. 010-1234-5678."),
    )
    wants_landlord = forms.BooleanField(
        label=_("I am a landlord and want to register rent reductions"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in required_items():
            self.fields[consent_field_name(item.code)] = consent_field(item, required=True)
        for item in marketing_items():
            self.fields[consent_field_name(item.code)] = consent_field(item, required=False)

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "")
        if not raw.strip():
            return ""
        try:
            phone = phone_normalise(raw)
        except PhoneNumberError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        if User.objects.filter(phone=phone).exists():
            raise ValidationError(
                _("An account with this mobile number exists already."), code="phone_taken"
            )
        return phone

    def accepted_consents(self) -> list[str]:
        return [code for code in CONSENT_ITEMS if self.cleaned_data.get(consent_field_name(code))]

    def signup(self, request, user):
        # allauth calls this after saving the user; roles are given by the adapter.
        from .services import consents_at_signup

        user.name = self.cleaned_data["name"].strip()
        user.phone = self.cleaned_data.get("phone", "")
        user.language = (getattr(request, "LANGUAGE_CODE", "") or "ko")[:2]
        if user.language not in ("ko", "en"):
            user.language = "ko"
        user.save(update_fields=["name", "phone", "language"])
        consents_at_signup(
            user=user, accepted=self.accepted_consents(), ip_address=client_ip(request)
        )


class ConsentsForm(AccessibleFormMixin, forms.Form):
    """The optional items a citizen can change at any time: advertising per channel and the
    channels of service messages."""

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        for item in [*marketing_items(), *service_items()]:
            field = consent_field(item, required=False)
            if current is not None:
                field.initial = current[item.code].granted and not (
                    item.kind == "marketing" and current[item.code].outdated
                )
            self.fields[consent_field_name(item.code)] = field

    def choices(self) -> dict[str, bool]:
        return {
            code: bool(self.cleaned_data.get(consent_field_name(code)))
            for code in CONSENT_ITEMS
            if consent_field_name(code) in self.fields
        }


class PhoneForm(AccessibleFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("The number of your account, e.g. 010-1234-5678."),
    )

    def clean_phone(self):
        try:
            return phone_normalise(self.cleaned_data["phone"])
        except PhoneNumberError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc


class SignInCodeForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
            }
        ),
        help_text=_("The 6 digits of the text message. A code is valid for 3 minutes."),
        error_messages={
            "min_length": _("The code has 6 digits."),
            "max_length": _("The code has 6 digits."),
        },
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise ValidationError(_("The code has 6 digits."), code="invalid")
        return code


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
