from django.urls import path

from . import api

urlpatterns = [
    path("dashboard/totals", api.DashboardTotalsApi.as_view(), name="dashboard-totals"),
    path(
        "dashboard/circulation",
        api.DashboardCirculationApi.as_view(),
        name="dashboard-circulation",
    ),
]
