"""Data scope, enforced in one place: every list, detail, export and report reads through
`restrict(user, action)` (NetBox's RestrictedQuerySet). A customer manager sees the customers on
whose service team he is, a city or county sees its subtree, the province sees all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Exists, OuterRef, Q

from jike.core.roles import Scope

if TYPE_CHECKING:
    from jike.core.models import User

_M = TypeVar("_M", bound=models.Model)


def customer_scope_q(user: User, prefix: str = "") -> Q | None:
    """Q limiting customers (reached through `prefix`, e.g. "customer__") to the user's scope.

    None means no limit; an unauthenticated or unscoped user gets a Q that matches nothing.
    """
    from jike.customers.models import TeamAssignment

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    scope = user.scope
    if scope == Scope.ALL:
        return None
    if scope == Scope.ORG and user.org_unit is not None:
        return Q(**{f"{prefix}org_path__startswith": user.org_unit.path})
    customer_ref = OuterRef(prefix[:-2]) if prefix else OuterRef("pk")
    on_team = TeamAssignment.objects.filter(customer_id=customer_ref, staff_id=user.pk)
    return Q(Exists(on_team))


class RestrictedQuerySet(models.QuerySet[_M]):
    """Subclass with `customer_prefix` = the path to the owning customer ("customer__",
    "plan__customer__", ...) and every record is scoped like its customer."""

    customer_prefix = ""

    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet[_M]:
        if action != "view" and not getattr(user, "can_write", False):
            return self.none()
        q = customer_scope_q(user, self.customer_prefix)
        return self if q is None else self.filter(q)


class CustomerQuerySet(RestrictedQuerySet[Any]):
    customer_prefix = ""


class ScopedByCustomerQuerySet(RestrictedQuerySet[Any]):
    """For records that belong to one customer (members, key persons, events, team)."""

    customer_prefix = "customer__"
