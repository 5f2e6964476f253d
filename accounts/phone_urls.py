"""Sign-in with a mobile number and a one-time code, and the texts of the consent items (pages
that a visitor who is not signed in reaches; mounted under /accounts/phone/)."""

from django.urls import path

from . import views

app_name = "accounts-phone"

urlpatterns = [
    path("", views.phone_sign_in, name="start"),
    path("code/", views.phone_sign_in_code, name="code"),
    path("terms/", views.consent_texts, name="consent-texts"),
]
