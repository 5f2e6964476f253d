"""URLs of the platform host (public schema): the operator admin and a health check."""

from django.contrib import admin
from django.urls import path

from . import views

admin.site.site_header = "Jeonju Prepay platform"

urlpatterns = [
    path("", views.platform_home, name="platform-home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
