from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.db import connection
from django.utils.http import url_has_allowed_host_and_scheme
from django_tenants.utils import get_public_schema_name

from .roles import Role
from .services import role_grant


class AccountAdapter(DefaultAccountAdapter):
    """Citizens sign up themselves on their city's host; nobody signs up on the platform host."""

    def is_open_for_signup(self, request):
        return connection.schema_name != get_public_schema_name()

    def is_safe_url(self, url):
        """Where ``?next=`` may send the browser after signing in or out: this city's own host
        only. allauth would take any host that ALLOWED_HOSTS matches, and that pattern names
        every city (``.localhost``, ``.example.kr``)."""
        request = context.request
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            role_grant(user=user, role=Role.CITIZEN)
            if form.cleaned_data.get("wants_landlord"):
                role_grant(user=user, role=Role.LANDLORD)
        return user


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return connection.schema_name != get_public_schema_name()

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        role_grant(user=user, role=Role.CITIZEN)
        return user
