from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.generics import RetrieveAPIView

from jike.core.api.serializers import JobSerializer, MeSerializer, OrgUnitSerializer, StaffSerializer
from jike.core.models import Job, OrgUnit, User
from jike.core.roles import Scope


@extend_schema(tags=["core"])
class MeView(RetrieveAPIView[User]):
    """The signed-in staff member, with data scope and PII visibility."""

    serializer_class = MeSerializer

    def get_object(self) -> User:
        return self.request.user  # type: ignore[return-value]


@extend_schema(tags=["core"])
class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet[OrgUnit]):
    """Organisation units (province, cities, counties, grids); the tree is not personal data."""

    serializer_class = OrgUnitSerializer
    filterset_fields = ["level", "parent"]

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return OrgUnit.objects.all()


@extend_schema(tags=["core"])
class StaffViewSet(viewsets.ReadOnlyModelViewSet[User]):
    """Staff within the caller's organisation subtree (the province sees all)."""

    serializer_class = StaffSerializer
    filterset_fields = ["role", "org_unit"]

    def get_queryset(self) -> QuerySet[User]:
        user: User = self.request.user  # type: ignore[assignment]
        qs = User.objects.filter(is_active=True).select_related("org_unit").order_by("id")
        if user.scope == Scope.ALL:
            return qs
        if user.org_unit is None:
            return qs.filter(pk=user.pk)
        city = user.org_unit.ancestor_of_level("city") or user.org_unit
        return qs.filter(org_unit__path__startswith=city.path)


@extend_schema(tags=["core"])
class JobViewSet(viewsets.ReadOnlyModelViewSet[Job]):
    """Background jobs the caller started (the province's admins see all), with progress."""

    serializer_class = JobSerializer

    def get_queryset(self) -> QuerySet[Job]:
        user: User = self.request.user  # type: ignore[assignment]
        qs = Job.objects.all()
        return qs if user.can_configure else qs.filter(created_by=user)
