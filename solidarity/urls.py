from django.urls import path

from . import views

app_name = "solidarity"

urlpatterns = [
    path("", views.home, name="home"),
    path("gifts/", views.gifts, name="gifts"),
    path("gifts/<int:gift_id>/cancel", views.gift_cancel, name="gift-cancel"),
    path("donations/", views.donations, name="donations"),
    path("donations/receipt/<int:year>/", views.donation_receipt, name="donation-receipt"),
    path("fund/", views.fund, name="fund"),
    path("statements/<int:year>/", views.statement, name="statement"),
    path("statements/<int:year>/city/", views.city_statement, name="city-statement"),
]
