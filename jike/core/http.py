"""Small request helpers shared by the UI and API views."""

from __future__ import annotations

from typing import Any

from jike.core.models import User


def staff(request: Any) -> User:
    """The signed-in staff member (views are behind login_required / IsAuthenticated)."""
    user = request.user
    assert isinstance(user, User), "view reached without an authenticated staff member"
    return user
