from rest_framework.authentication import TokenAuthentication


class UserTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` for a person's API token (device tokens are tried first)."""
