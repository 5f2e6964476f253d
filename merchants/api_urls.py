from django.urls import path

from . import api

urlpatterns = [
    path("wallet/payment-code", api.PaymentCodeApi.as_view(), name="wallet-payment-code"),
]
