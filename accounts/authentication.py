"""``Authorization: Token <key>`` for a person's API token (device tokens are tried first)."""

from __future__ import annotations

import json

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from jeonju_prepay.db import instance_from_values

from .models import User
from .roles import Role

_ROLES = frozenset(Role.values)
_USER_FIELDS = {f.column: f for f in User._meta.concrete_fields}


class UserTokenAuthentication(TokenAuthentication):
    """A person's API token. The token, the person and their roles come in one call of
    ``user_token()`` (accounts/sql/user_token.sql), where DRF's look-up and the first role
    check take two ORM queries; ``User.roles`` asks no more. Read at every request: a token
    deleted, a person made inactive or a role taken away counts at once."""

    def authenticate_credentials(self, key):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM user_token(%s)", [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."))
        created, person, groups = row
        if isinstance(person, str):  # Django leaves jsonb to the field that reads it
            person = json.loads(person)
        user = instance_from_values(
            User,
            {
                field.attname: field.to_python(person[column])
                for column, field in _USER_FIELDS.items()
            },
        )
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is no longer active."))
        user._roles_cache = set(groups) & _ROLES
        token = instance_from_values(Token, {"key": key, "user_id": user.pk, "created": created})
        token.user = user
        return user, token
