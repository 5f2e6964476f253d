from django.urls import path

from . import sandbox_views

app_name = "sandbox_pg"

urlpatterns = [
    path("checkout/<str:order_id>/", sandbox_views.checkout, name="checkout"),
    path("api/approve/<str:order_id>", sandbox_views.api_approve, name="api-approve"),
]
