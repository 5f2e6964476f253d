from django.urls import path

from . import views

app_name = "merchants"

urlpatterns = [
    path("", views.shop_list, name="shop-list"),
    path("register/", views.shop_register, name="shop-register"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("review/", views.review_list, name="review-list"),
    path("review/policy/", views.policy, name="policy"),
    path("review/shop-payments/", views.shop_payment_policy, name="shop-payment-policy"),
    path("review/<int:shop_id>/", views.review_detail, name="review-detail"),
    path("<int:shop_id>/", views.shop_detail, name="shop-detail"),
    path("<int:shop_id>/edit/", views.shop_edit, name="shop-edit"),
    path("<int:shop_id>/resubmit/", views.shop_resubmit, name="shop-resubmit"),
    path("<int:shop_id>/qr.svg", views.shop_qr, name="shop-qr"),
    path("<int:shop_id>/devices/", views.devices, name="devices"),
    path(
        "<int:shop_id>/devices/<int:device_id>/revoke/",
        views.device_revoke,
        name="device-revoke",
    ),
    path("<int:shop_id>/clerks/", views.clerks, name="clerks"),
    path("<int:shop_id>/clerks/<int:member_id>/remove/", views.clerk_remove, name="clerk-remove"),
    path("<int:shop_id>/statements/", views.statements, name="statements"),
    path("<int:shop_id>/pay/", views.shop_pay, name="shop-pay"),
    path(
        "<int:shop_id>/statements/<str:business_date>.csv",
        views.statement_csv,
        name="statement-csv",
    ),
]
