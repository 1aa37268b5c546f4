"""What other apps contribute to the shared UI shell: navigation entries and customer 360 panels.

Apps register in their AppConfig.ready(), so each domain stays in its own app:
- `register_nav(order, url_name, label, icon, visible=None)`: a navigation entry; `visible(user)`
  decides whether the user sees it.
- `register_panel(order, key, fn, cached=False)`: `fn(request, customer) -> str` returns rendered
  HTML for the customer page (the customer is already scope-checked), or "" to hide the panel.
  `cached=True` when everything the panel shows changes only through audited service writes
  whose subject is the customer (or a customer below it in the group): the customer page then
  caches the HTML (`panel_fragments`) under the data version of the customer's group
  (`jike.core.cache.subject_version`), per role, data scope, language and day (`vary`), for
  PANEL_TTL seconds at most (configuration such as product or staff names may lag that long).
  Scope checks run on every request before any panel.
- `can_change(request, customer)`: whether the user may change the customer, asked once per request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from jike.core import cache as data_cache

PanelFn = Callable[[HttpRequest, Any], str]
PANEL_TTL = 300
# A form's CSRF token belongs to one user's session: cached HTML keeps a placeholder instead.
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_PLACEHOLDER = "__jike_csrf__"
_CSRF_PLACEHOLDER = rf"\1{_PLACEHOLDER}\2"


@dataclass(frozen=True)
class NavEntry:
    order: int
    url_name: str
    label: Any  # a lazy translation string
    icon: str
    visible: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Panel:
    order: int
    key: str
    fn: PanelFn
    cached: bool = False


_PANELS: list[Panel] = []
_NAV: list[NavEntry] = []


def register_panel(order: int, key: str, fn: PanelFn, *, cached: bool = False) -> None:
    if not any(p.key == key for p in _PANELS):
        _PANELS.append(Panel(order, key, fn, cached))
        _PANELS.sort(key=lambda p: p.order)


def seen_in_scope(request: HttpRequest, customer: Any) -> None:
    """Record that `customer` was just read through `restrict(user, "view")`, so `can_change`
    needs no query of its own (querysets.may_change_what_it_sees)."""
    from jike.customers.querysets import may_change_what_it_sees

    memo: dict[tuple[Any, int], bool] = request.__dict__.setdefault("_jike_can_change", {})
    memo[(request.user.pk, customer.pk)] = may_change_what_it_sees(request.user)


def can_change(request: HttpRequest, customer: Any) -> bool:
    """`restrict(user, "change")` for this customer, asked once per request (every panel needs it)."""
    from jike.customers.models import Customer

    memo: dict[tuple[Any, int], bool] = request.__dict__.setdefault("_jike_can_change", {})
    key = (request.user.pk, customer.pk)
    if key not in memo:
        memo[key] = Customer.objects.restrict(request.user, "change").filter(pk=customer.pk).exists()
    return memo[key]


def vary(request: HttpRequest) -> list[object]:
    """What besides the data changes a panel: role (masking, buttons), data scope, language, day."""
    user: Any = request.user
    return [user.role, user.is_superuser, data_cache.scope_key(user), get_language(), timezone.localdate()]


def panel_fragments(request: HttpRequest, customer: Any) -> dict[str, str]:
    """HTML of the panels registered with cached=True, for the caller to cache under the data
    version of the customer's group (a form's CSRF token is replaced by a placeholder)."""
    return {p.key: _CSRF_INPUT.sub(_CSRF_PLACEHOLDER, p.fn(request, customer)) for p in _PANELS if p.cached}


def render_panels(
    request: HttpRequest, customer: Any, fragments: Mapping[str, str] | None = None
) -> list[tuple[str, SafeString]]:
    """The panels' HTML: from `fragments` (see panel_fragments) where given, else rendered now."""
    out = []
    token = ""
    for panel in _PANELS:
        if fragments is not None and panel.key in fragments:
            html = fragments[panel.key]
            if _PLACEHOLDER in html:
                token = token or get_token(request)
                html = html.replace(_PLACEHOLDER, token)
        else:
            html = panel.fn(request, customer)
        if html:
            out.append((panel.key, mark_safe(html)))
    return out


def register_nav(
    order: int, url_name: str, label: Any, icon: str = "circle", visible: Callable[[Any], bool] | None = None
) -> None:
    if not any(e.url_name == url_name for e in _NAV):
        _NAV.append(NavEntry(order, url_name, label, icon, visible))
        _NAV.sort(key=lambda e: e.order)


def nav_for(user: Any) -> list[NavEntry]:
    return [e for e in _NAV if e.visible is None or e.visible(user)]
