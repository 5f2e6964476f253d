from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.utils import get_public_schema_name

from jeonju_prepay.exceptions import ApplicationError
from jeonju_prepay.http import client_ip

from .consents import CONSENT_ITEMS, item_text, required_items
from .forms import ConsentsForm, PhoneForm, SignInCodeForm
from .models import ConsentRecord
from .phone import phone_display, phone_mask
from .selectors import consent_history, consents_current
from .services import consents_record, otp_request, otp_verify, staff_create


@login_required
def profile(request):
    phone = request.user.phone
    return render(
        request,
        "accounts/profile.html",
        {"roles": sorted(request.user.roles), "phone_shown": phone_display(phone) if phone else ""},
    )


class StaffForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    email = forms.EmailField(label=gettext_lazy("Email"))
    password = forms.CharField(
        label=gettext_lazy("Initial password"), widget=forms.PasswordInput, min_length=10
    )


@login_required
@permission_required("accounts.create_staff", raise_exception=True)
def staff_new(request):
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_create(created_by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Staff account %(email)s created.") % {"email": user.email})
            return redirect("accounts:staff-new")
    return render(request, "accounts/staff_new.html", {"form": form})


# --- Consents: read them, change the optional ones ---------------------------------------------


@login_required
def consents(request):
    """What the citizen agreed to (every item, its text and when), and a form for the optional
    items: advertising per channel and the channels of service messages."""
    current = consents_current(user=request.user)
    form = ConsentsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        changed = consents_record(
            user=request.user,
            choices=form.choices(),
            source=ConsentRecord.Source.CONSENT_PAGE,
            ip_address=client_ip(request),
        )
        if changed:
            messages.success(request, _("Your choices are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("accounts:consents")
    return render(
        request,
        "accounts/consents.html",
        {
            "form": form,
            "required": [current[item.code] for item in required_items()],
            "history": [
                (row, CONSENT_ITEMS.get(row.item))
                for row in consent_history(user=request.user)[:50]
            ],
        },
    )


def consent_texts(request):
    """The full text of every item in force, readable before signing up."""
    if connection.schema_name == get_public_schema_name():
        raise Http404
    items = [(item, item_text(item)) for item in CONSENT_ITEMS.values()]
    return render(request, "accounts/consent_texts.html", {"items": items})


# --- Sign-in with a mobile number and a code ----------------------------------------------------

OTP_SESSION_KEY = "otp_phone"


def _city_only():
    if connection.schema_name == get_public_schema_name():
        raise Http404


def phone_sign_in(request):
    """Step 1: the mobile number. The answer is the same whether or not the number has an
    account (no one learns who is signed up)."""
    _city_only()
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            otp_request(phone=phone, client_ip=client_ip(request))
        except ApplicationError as exc:
            form.add_error("phone", exc.message)
        else:
            request.session[OTP_SESSION_KEY] = phone
            next_url = request.POST.get("next") or request.GET.get("next") or ""
            target = reverse("accounts-phone:code")
            if next_url and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target += "?" + urlencode({"next": next_url})
            return redirect(target)
    return render(request, "accounts/phone_sign_in.html", {"form": form})


def phone_sign_in_code(request):
    """Step 2: the 6-digit code sent by text message."""
    _city_only()
    phone = request.session.get(OTP_SESSION_KEY)
    if not phone:
        return redirect("accounts-phone:start")
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = otp_verify(
                phone=phone, code=form.cleaned_data["code"], client_ip=client_ip(request)
            )
        except ApplicationError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(OTP_SESSION_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            next_url = request.GET.get("next", "")
            if next_url and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/phone_sign_in_code.html",
        {"form": form, "phone_shown": phone_mask(phone)},
    )
