"""What other apps contribute to the shared UI shell: navigation entries and customer 360 panels.

Apps register in their AppConfig.ready(), so each domain stays in its own app:
- `register_nav(order, url_name, label, icon, visible=None)`: a navigation entry; `visible(user)`
  decides whether the user sees it.
- `register_panel(order, key, fn)`: `fn(request, customer) -> str` returns rendered HTML for the
  customer page (the customer is already scope-checked), or "" to hide the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

PanelFn = Callable[[HttpRequest, Any], str]


@dataclass(frozen=True)
class NavEntry:
    order: int
    url_name: str
    label: Any  # a lazy translation string
    icon: str
    visible: Callable[[Any], bool] | None = None


_PANELS: list[tuple[int, str, PanelFn]] = []
_NAV: list[NavEntry] = []


def register_panel(order: int, key: str, fn: PanelFn) -> None:
    if not any(k == key for _, k, _ in _PANELS):
        _PANELS.append((order, key, fn))
        _PANELS.sort(key=lambda p: p[0])


def render_panels(request: HttpRequest, customer: Any) -> list[tuple[str, SafeString]]:
    return [(key, mark_safe(html)) for _, key, fn in _PANELS if (html := fn(request, customer))]


def register_nav(
    order: int, url_name: str, label: Any, icon: str = "circle", visible: Callable[[Any], bool] | None = None
) -> None:
    if not any(e.url_name == url_name for e in _NAV):
        _NAV.append(NavEntry(order, url_name, label, icon, visible))
        _NAV.sort(key=lambda e: e.order)


def nav_for(user: Any) -> list[NavEntry]:
    return [e for e in _NAV if e.visible is None or e.visible(user)]
