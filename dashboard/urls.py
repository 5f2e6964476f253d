from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("shops/", views.shops, name="shops"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
    path("operations/", views.operations, name="operations"),
    path("operations/run/", views.run, name="run"),
    path(
        "operations/transfers/<str:business_date>.csv",
        views.transfer_file_csv,
        name="transfer-file-csv",
    ),
]
