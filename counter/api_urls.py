from django.urls import path

from . import api

urlpatterns = [
    path("counter/identify", api.CounterIdentifyApi.as_view(), name="counter-identify"),
    path("counter/bills", api.CounterBillApi.as_view(), name="counter-bills"),
    path("counter/payments", api.CounterPaymentApi.as_view(), name="counter-payments"),
    path("counter/notes", api.CounterNoteApi.as_view(), name="counter-notes"),
    path("counter/redemptions", api.CounterRedemptionApi.as_view(), name="counter-redemptions"),
    path(
        "shops/<int:shop_id>/payments/<int:payment_id>/cancel",
        api.ShopPaymentCancelApi.as_view(),
        name="shop-payment-cancel",
    ),
    path(
        "shops/<int:shop_id>/redemptions/<int:redemption_id>/cancel",
        api.ShopRedemptionCancelApi.as_view(),
        name="shop-redemption-cancel",
    ),
]
