"""Authentication backend: Django's, with the user's org unit loaded in the same query (every
page reads it for the data scope, which cost a second query per request)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ScopedModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        from jike.core.models import User

        try:
            user = User._default_manager.select_related("org_unit").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class ScopedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with the org unit in the same query as the token and user."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from rest_framework.authtoken.models import Token

        try:
            token = Token.objects.select_related("user__org_unit").get(key=key)
        except Token.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
