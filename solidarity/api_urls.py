from django.urls import path

from . import api

urlpatterns = [
    path("wallet/gifts", api.GiftsApi.as_view(), name="wallet-gifts"),
    path(
        "wallet/gifts/<int:gift_id>/cancel", api.GiftCancelApi.as_view(), name="wallet-gift-cancel"
    ),
    path("wallet/donations", api.DonationsApi.as_view(), name="wallet-donations"),
    path("statements/<int:year>", api.StatementApi.as_view(), name="statement"),
]
