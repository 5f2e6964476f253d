"""The staff's page of the city's districts: add one, take one out of use or back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError

from . import selectors, services
from .forms import DistrictForm

manage_required = permission_required("districts.manage_district", raise_exception=True)


@login_required
@manage_required
def district_list(request):
    form = DistrictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            district = services.district_create(**form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(name)s added.") % {"name": district.name})
            return redirect("districts:list")
    return render(
        request, "districts/list.html", {"districts": selectors.districts_all(), "form": form}
    )


@login_required
@manage_required
@require_POST
def district_toggle(request, district_id: int):
    active = request.POST.get("active") == "1"
    # An unknown id is a 404 page (DistrictNotFoundError through the error middleware).
    district = services.district_set_active(district_id=district_id, active=active)
    text = _("%(name)s is in use again.") if active else _("%(name)s is no longer offered.")
    messages.success(request, text % {"name": district.name})
    return redirect("districts:list")
