from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("sandbox/", views.sandbox_outbox_page, name="sandbox-outbox"),
]
