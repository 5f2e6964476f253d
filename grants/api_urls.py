from django.urls import path

from . import api

urlpatterns = [
    path("grants/programmes", api.ProgrammeListApi.as_view(), name="grants-programme-list"),
    path(
        "grants/programmes/<int:pk>/payments",
        api.PaymentApi.as_view(),
        name="grants-programme-pay",
    ),
    path("grants/applications", api.ApplicationListApi.as_view(), name="grants-application-list"),
    path(
        "grants/applications/<int:pk>/decision",
        api.DecisionApi.as_view(),
        name="grants-application-decide",
    ),
]
