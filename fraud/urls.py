from django.urls import path

from . import views

app_name = "fraud"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("<int:case_id>/", views.case_detail, name="case"),
]
