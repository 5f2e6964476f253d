from django.urls import path

from . import api

urlpatterns = [
    path("workplaces", api.WorkplaceListApi.as_view(), name="workplaces-list"),
    path("workplaces/cases", api.CaseListApi.as_view(), name="workplaces-case-list"),
    path(
        "workplaces/<int:workplace_id>/reports",
        api.ReportCreateApi.as_view(),
        name="workplaces-report-create",
    ),
]
