from django.urls import path

from . import views

app_name = "districts"

urlpatterns = [
    path("", views.district_list, name="list"),
    path("<int:district_id>/active/", views.district_toggle, name="toggle"),
]
