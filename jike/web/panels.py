"""Customer 360 panels contributed by other apps (holdings, opportunities, plans, visits...).

An app registers `(order, key, function)` in its AppConfig.ready(); the function takes the
request and the customer (already scope-checked) and returns rendered HTML (or "" to hide).
The customer page renders every registered panel in order, so domains stay in their own apps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

PanelFn = Callable[[HttpRequest, Any], str]
_PANELS: list[tuple[int, str, PanelFn]] = []


def register(order: int, key: str, fn: PanelFn) -> None:
    if not any(k == key for _, k, _ in _PANELS):
        _PANELS.append((order, key, fn))
        _PANELS.sort(key=lambda p: p[0])


def render_panels(request: HttpRequest, customer: Any) -> list[tuple[str, SafeString]]:
    return [(key, mark_safe(html)) for _, key, fn in _PANELS if (html := fn(request, customer))]
