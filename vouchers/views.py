"""The citizen's wallet pages."""

from __future__ import annotations

import segno
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from merchants.models import Shop
from merchants.services import payment_code_issue


def _code_context(user) -> dict:
    issued = payment_code_issue(user=user)
    qr_svg = segno.make(issued.qr_token, error="m").svg_inline(scale=5, border=2)
    return {"issued": issued, "qr_svg": qr_svg}


@login_required
@permission_required("vouchers.use_wallet", raise_exception=True)
def payment_code(request):
    """The code the citizen shows at the counter: a QR and 16 digits, single-use, 3 minutes."""
    return render(request, "vouchers/code.html", _code_context(request.user))


@login_required
@permission_required("vouchers.use_wallet", raise_exception=True)
@require_POST
def payment_code_fragment(request):
    """htmx: a fresh code (the page asks before the old one expires, or on a tap)."""
    return render(request, "vouchers/partials/code.html", _code_context(request.user))


@login_required
def pay_shop(request, public_code):
    shop = get_object_or_404(Shop, public_code=public_code)
    return render(request, "vouchers/pay_shop.html", {"shop": shop})
