"""URLs of a city host (the city's schema)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts.api import TokenObtainApi

from . import views

api_v1 = [
    path("auth/token", TokenObtainApi.as_view(), name="auth-token"),
    path("", include("merchants.api_urls")),
    path("", include("vouchers.api_urls")),
    path("", include("campaigns.api_urls")),
    path("", include("dashboard.api_urls")),
    path("", include("rentals.api_urls")),
]

urlpatterns = [
    path("", views.city_home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("shops/", include("merchants.urls")),
    path("wallet/", include("vouchers.urls")),
    path("sandbox-pg/", include("vouchers.sandbox_urls")),
    path("campaigns/", include("campaigns.urls")),
    path("rentals/", include("rentals.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("districts/", include("districts.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("admin/", admin.site.urls),
]

handler404 = "jeonju_prepay.views.not_found"

if settings.BENCH_ENDPOINTS:
    from . import bench_views

    urlpatterns.append(path("bench/floor", bench_views.floor, name="bench-floor"))
