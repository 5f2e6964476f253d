"""allauth's authentication backend, for cities only.

Cities have allauth's tables (email addresses, social accounts); the public schema, where the
platform operators sign in to the admin, does not. There allauth's backend, asked after Django's
ModelBackend has refused a password, queried a missing table: a wrong operator password was
a 500 instead of "wrong password".
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.db import connection
from django_tenants.utils import get_public_schema_name


class CityAuthenticationBackend(AuthenticationBackend):
    def authenticate(self, request, **credentials):
        if connection.schema_name == get_public_schema_name():
            return None
        return super().authenticate(request, **credentials)
