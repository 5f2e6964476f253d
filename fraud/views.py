"""Staff pages: the review queue, a case with its evidence and payments, the thresholds.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from jeonju_prepay.exceptions import ApplicationError

from . import selectors, services
from .forms import DecisionForm, ThresholdsForm
from .models import Case

PERM = "fraud.review_case"


@login_required
@permission_required(PERM, raise_exception=True)
def queue(request):
    status = request.GET.get("status", "")
    if status not in Case.Status.values:
        status = ""
    cases = selectors.cases_queue(status=status or None)[:200]
    context = {"cases": cases, "status": status, "statuses": Case.Status.choices}
    return render(request, "fraud/queue.html", context)


@login_required
@permission_required(PERM, raise_exception=True)
def case_detail(request, case_id):
    case = get_object_or_404(Case.objects.select_related("shop", "user"), pk=case_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_decide(
                case=case,
                by=request.user,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("fraud:case", case_id=case.pk)
    context = {
        "case": case,
        "form": form,
        "payments": selectors.case_payments(case),
        "shops": selectors.case_shops(case),
        "decisions": case.decisions.select_related("by"),
        "holds": case.holds.all(),
    }
    return render(request, "fraud/case.html", context)


@login_required
@permission_required(PERM, raise_exception=True)
def thresholds(request):
    current = selectors.thresholds_current()
    form = ThresholdsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.thresholds_set(by=request.user, values=form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Thresholds saved. They apply from the next night."))
            return redirect("fraud:thresholds")
    return render(request, "fraud/thresholds.html", {"form": form})
