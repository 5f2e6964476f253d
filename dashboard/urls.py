from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("shops/", views.shops, name="shops"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
]
