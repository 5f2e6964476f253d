from django.urls import path

from . import api

urlpatterns = [
    path("wallet", api.WalletApi.as_view(), name="wallet"),
    path("wallet/history", api.HistoryApi.as_view(), name="wallet-history"),
    path("wallet/charges", api.ChargeCreateApi.as_view(), name="wallet-charges"),
    path("wallet/charges/<str:order_id>", api.ChargeDetailApi.as_view(), name="wallet-charge"),
    path(
        "wallet/charges/<str:order_id>/cancel",
        api.ChargeCancelApi.as_view(),
        name="wallet-charge-cancel",
    ),
    path("wallet/payments", api.QrPaymentApi.as_view(), name="wallet-payments"),
    path("wallet/refund", api.RefundApi.as_view(), name="wallet-refund"),
    path("payments/callback/<str:provider>", api.CallbackApi.as_view(), name="payments-callback"),
]
