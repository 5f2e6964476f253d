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
    path("fund/grants/", views.fund_manage, name="fund-manage"),
    path("shops/<int:shop_id>/angel/", views.angel_shop, name="angel-shop"),
    path("relay/<int:campaign_id>/", views.relay, name="relay"),
    path("relay/<int:campaign_id>/tree", views.relay_tree, name="relay-tree"),
    path("relay/invitations/<int:nomination_id>/join", views.relay_join, name="relay-join"),
    path("statements/<int:year>/", views.statement, name="statement"),
    path("statements/<int:year>/city/", views.city_statement, name="city-statement"),
]
