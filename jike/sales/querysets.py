"""Data scope for sales records: opportunities follow their customer, campaigns their org unit."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from jike.core.roles import Scope
from jike.customers.querysets import RestrictedQuerySet


class OpportunityQuerySet(RestrictedQuerySet[Any]):
    customer_prefix = "customer__"


class ScopedByOpportunityQuerySet(RestrictedQuerySet[Any]):
    customer_prefix = "opportunity__customer__"


def ancestor_paths(path: str) -> list[str]:
    """ "34/3401/340121/" -> ["34/", "34/3401/", "34/3401/340121/"]."""
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


class CampaignQuerySet(RestrictedQuerySet[Any]):
    """A unit sees its own campaigns, those of units below it, and the themes of units above it
    (a city sees the province's themes); only managing roles change campaigns, in their subtree."""

    def restrict(self, user: Any, action: str = "view") -> CampaignQuerySet:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if action != "view" and not getattr(user, "can_manage", False):
            return self.none()
        if user.scope == Scope.ALL:
            return self
        unit = user.org_unit
        if unit is None:
            return self.none()
        if action != "view":
            return self.filter(org_path__startswith=unit.path)
        return self.filter(Q(org_path__startswith=unit.path) | Q(org_path__in=ancestor_paths(unit.path)))
