from django.urls import path

from . import views

app_name = "grants"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/apply/", views.apply, name="apply"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/new/", views.programme_new, name="staff-programme-new"),
    path("staff/<int:pk>/", views.staff_programme, name="staff-programme"),
    path("staff/<int:pk>/<slug:action>/", views.programme_action, name="staff-programme-action"),
    path("staff/applications/<int:pk>/", views.staff_application, name="staff-application"),
]
