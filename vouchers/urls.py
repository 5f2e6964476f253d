from django.urls import path

from . import views

app_name = "vouchers"

urlpatterns = [
    path("code/", views.payment_code, name="code"),
    path("code/new/", views.payment_code_fragment, name="code-new"),
    path("pay/<str:public_code>/", views.pay_shop, name="pay-shop"),
]
