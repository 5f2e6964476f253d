from django.urls import path

from . import api

urlpatterns = [
    path("campaigns", api.CampaignListApi.as_view(), name="campaigns"),
    path("campaigns/<int:campaign_id>", api.CampaignDetailApi.as_view(), name="campaign"),
    path(
        "campaigns/<int:campaign_id>/shops", api.CampaignShopsApi.as_view(), name="campaign-shops"
    ),
    path("pledges", api.PledgesApi.as_view(), name="pledges"),
    path("pledges/<int:pledge_id>/cancel", api.PledgeCancelApi.as_view(), name="pledge-cancel"),
]
