from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("", views.operations, name="operations"),
    path("run/", views.run, name="run"),
    path("transfers/<str:business_date>.csv", views.transfer_file_csv, name="transfer-file-csv"),
]
