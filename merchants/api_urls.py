from django.urls import path

from . import api

urlpatterns = [
    path("counter/identify", api.CounterIdentifyApi.as_view(), name="counter-identify"),
    path("wallet/payment-code", api.PaymentCodeApi.as_view(), name="wallet-payment-code"),
]
