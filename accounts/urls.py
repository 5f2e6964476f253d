from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("staff/new/", views.staff_new, name="staff-new"),
    path("consents/", views.consents, name="consents"),
]
