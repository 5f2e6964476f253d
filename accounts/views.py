from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jeonju_prepay.exceptions import ApplicationError

from .services import staff_create


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"roles": sorted(request.user.roles)})


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
