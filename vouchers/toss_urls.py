from django.urls import path

from . import views_toss

app_name = "vouchers_toss"

urlpatterns = [
    path("wallet/charge/<str:order_id>/toss/", views_toss.checkout, name="checkout"),
    path("wallet/charge/<str:order_id>/toss/success", views_toss.success, name="success"),
    path("wallet/charge/<str:order_id>/toss/fail", views_toss.fail, name="fail"),
    path("payments/toss/webhook", views_toss.webhook, name="webhook"),
    path(
        "api/v1/wallet/charges/<str:order_id>/toss-confirm",
        views_toss.ConfirmApi.as_view(),
        name="api-confirm",
    ),
]
