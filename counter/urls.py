from django.urls import path

from . import views

app_name = "counter"

urlpatterns = [
    path("counter/", views.counter_home, name="counter-home"),
    path("<int:shop_id>/counter/", views.counter, name="counter"),
    path("<int:shop_id>/counter/identify/", views.counter_identify, name="counter-identify"),
    path("<int:shop_id>/counter/bill/", views.counter_bill, name="counter-bill"),
    path("<int:shop_id>/counter/recent/", views.counter_recent, name="counter-recent"),
    path("<int:shop_id>/counter/card/", views.counter_card, name="counter-card"),
    path("<int:shop_id>/counter/note/", views.counter_note, name="counter-note"),
    path(
        "<int:shop_id>/counter/payments/<int:payment_id>/cancel/",
        views.counter_payment_cancel,
        name="counter-payment-cancel",
    ),
    path(
        "<int:shop_id>/counter/redemptions/<int:redemption_id>/cancel/",
        views.counter_redemption_cancel,
        name="counter-redemption-cancel",
    ),
]
