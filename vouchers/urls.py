from django.urls import path

from . import views

app_name = "vouchers"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("history/", views.history, name="history"),
    path("charge/", views.charge, name="charge"),
    path("charge/<str:order_id>/done/", views.charge_done, name="charge-done"),
    path("charge/<str:order_id>/cancel/", views.charge_cancel, name="charge-cancel"),
    path("code/", views.payment_code, name="code"),
    path("code/new/", views.payment_code_fragment, name="code-new"),
    path("code/status/", views.payment_code_status, name="code-status"),
    path("pay/<str:public_code>/", views.pay_shop, name="pay-shop"),
    path("payments/<int:payment_id>/", views.payment_done, name="payment-done"),
    path("pin/", views.pin, name="pin"),
    path("refund/", views.refund, name="refund"),
    path("policy/", views.policy, name="policy"),
    path("policy/overrides/", views.policy_override, name="policy-override"),
    path(
        "policy/overrides/withdraw/",
        views.policy_override_withdraw,
        name="policy-override-withdraw",
    ),
    path("policy/budgets/", views.policy_budget, name="policy-budget"),
    path(
        "provider-differences/<int:discrepancy_id>/resolve/",
        views.discrepancy_resolve,
        name="discrepancy-resolve",
    ),
]
