from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Navigation entries for the shell; each app's pages register here."""
    from django.utils.translation import gettext as _

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    nav = [
        {"url": "web:home", "label": _("首页"), "icon": "home"},
        {"url": "customers:list", "label": _("集团客户"), "icon": "building"},
    ]
    if getattr(user, "can_manage", False):
        nav.append({"url": "customers:imports", "label": _("数据导入"), "icon": "upload"})
    return {"nav": nav}
