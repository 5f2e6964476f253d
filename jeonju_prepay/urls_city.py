"""URLs of a city host (the city's schema)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from accounts.api import OtpRequestApi, TokenObtainApi

from . import views

api_v1 = [
    path("auth/token", TokenObtainApi.as_view(), name="auth-token"),
    path("auth/otp", OtpRequestApi.as_view(), name="auth-otp"),
    # URL patterns are tried in order: the busiest calls first, the counter's payments, then
    # a charge day's queue (600 arrivals a second at its peak).
    path("", include("counter.api_urls")),
    path("", include("sales.api_urls")),
    path("", include("merchants.api_urls")),
    path("", include("vouchers.api_urls")),
    path("", include("campaigns.api_urls")),
    path("", include("dashboard.api_urls")),
    path("", include("rentals.api_urls")),
    path("", include("workplaces.api_urls")),
    path("", include("solidarity.api_urls")),
    path("", include("grants.api_urls")),
]

urlpatterns = [
    path("", views.city_home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/phone/", include("accounts.phone_urls")),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("shops/", include("counter.urls")),
    path("messages/", include("messaging.urls")),
    path("shops/", include("merchants.urls")),
    path("wallet/", include("vouchers.urls")),
    path("cards/", include("cards.urls")),
    path("sandbox-pg/", include("vouchers.sandbox_urls")),
    path("", include("vouchers.toss_urls")),
    path("campaigns/", include("campaigns.urls")),
    path("rentals/", include("rentals.urls")),
    path("workplaces/", include("workplaces.urls")),
    path("sales/", include("sales.urls")),
    path("solidarity/", include("solidarity.urls")),
    path("grants/", include("grants.urls")),
    path("dashboard/operations/", include("operations.urls")),
    path("dashboard/fraud/", include("fraud.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("districts/", include("districts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("admin/", admin.site.urls),
]

handler404 = "jeonju_prepay.views.not_found"

if settings.BENCH_ENDPOINTS:
    from . import bench_views

    urlpatterns.append(path("bench/floor", bench_views.floor, name="bench-floor"))

# Last: any other address under /api/ answers the API's JSON error shape, also with DEBUG on
# (where Django would show its HTML debug page instead of handler404).
urlpatterns.append(re_path(r"^api/", views.api_not_found, name="api-not-found"))
