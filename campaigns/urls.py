from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("join/", views.organisation_join, name="organisation-join"),
    path("pledges/", views.pledge_list, name="pledge-list"),
    path("pledges/<int:pledge_id>/", views.pledge_done, name="pledge-done"),
    path("pledges/<int:pledge_id>/cancel/", views.pledge_cancel, name="pledge-cancel"),
    path("prepaid/<int:shop_id>/", views.prepaid_history, name="prepaid-history"),
    path("manage/", views.manage, name="manage"),
    path("manage/closed-shops/", views.closed_shops, name="closed-shops"),
    path("manage/<int:campaign_id>/", views.manage_detail, name="manage-detail"),
    path("<int:campaign_id>/", views.campaign_detail, name="campaign-detail"),
    path("<int:campaign_id>/shop-join/", views.shop_join, name="shop-join"),
    path("<int:campaign_id>/shops/<int:shop_id>/pledge/", views.pledge_new, name="pledge-new"),
]
