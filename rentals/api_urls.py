from django.urls import path

from . import api

urlpatterns = [
    path("rentals/agreements", api.AgreementListApi.as_view(), name="rentals-agreement-list"),
]
