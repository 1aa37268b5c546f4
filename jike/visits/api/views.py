"""Visit REST API: plans, logs, follow-ups, overdue customers and coverage. Thin views over services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jike.core.http import staff as _user
from jike.customers.models import Customer
from jike.visits import reports, services
from jike.visits.api.serializers import (
    CancelSerializer,
    CoverageSerializer,
    FollowUpSerializer,
    OverdueSerializer,
    VisitLogSerializer,
    VisitNormSerializer,
    VisitPlanSerializer,
)
from jike.visits.models import FollowUp, PlanStatus, VisitLog, VisitNorm, VisitPlan


class VisitPlanFilterSet(filters.FilterSet):  # type: ignore[misc]
    customer = filters.NumberFilter(field_name="customer_id")
    manager = filters.NumberFilter(field_name="manager_id")
    status = filters.MultipleChoiceFilter(choices=PlanStatus.choices)
    date_from = filters.DateFilter(field_name="planned_at", lookup_expr="date__gte")
    date_to = filters.DateFilter(field_name="planned_at", lookup_expr="date__lte")

    class Meta:
        model = VisitPlan
        fields: list[str] = []


class VisitLogFilterSet(filters.FilterSet):  # type: ignore[misc]
    customer = filters.NumberFilter(field_name="customer_id")
    manager = filters.NumberFilter(field_name="manager_id")
    opportunity = filters.NumberFilter(field_name="opportunity_id")
    date_from = filters.DateFilter(field_name="visited_at", lookup_expr="date__gte")
    date_to = filters.DateFilter(field_name="visited_at", lookup_expr="date__lte")

    class Meta:
        model = VisitLog
        fields: list[str] = []


@extend_schema(tags=["visits"])
class VisitPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[VisitPlan],
):
    queryset = VisitPlan.objects.none()
    serializer_class = VisitPlanSerializer
    filterset_class = VisitPlanFilterSet

    def get_queryset(self) -> QuerySet[VisitPlan]:
        return (
            VisitPlan.objects.restrict(_user(self.request))
            .select_related("customer", "manager")
            .prefetch_related("key_persons")
        )

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        serializer.instance = services.create_plan(_user(self.request), customer, **data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_plan(
            _user(self.request), serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=CancelSerializer, responses={200: VisitPlanSerializer}, summary="Cancel a planned visit")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        ser = CancelSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        plan = services.cancel_plan(_user(request), plan, ser.validated_data["reason"])
        return Response(VisitPlanSerializer(plan, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[OpenApiParameter("manager", int), OpenApiParameter("days", int, default=90)],
        responses={(200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="iCalendar")},
        summary="Planned visits as iCalendar (.ics)",
    )
    @action(detail=False, methods=["get"], url_path="calendar")
    def ics(self, request: Request) -> HttpResponse:
        user = _user(request)
        raw = request.query_params.get("manager", "")
        if raw and not raw.isdigit():
            raise ValidationError({"manager": "整数 / integer"})
        manager_id = int(raw) if raw else user.pk
        try:
            days = min(int(request.query_params.get("days", 90)), 366)
        except ValueError as exc:
            raise ValidationError({"days": "整数 / integer"}) from exc
        since = timezone.now() - dt.timedelta(days=7)
        plans = VisitPlan.objects.restrict(user).filter(
            manager_id=manager_id, planned_at__gte=since, planned_at__lt=since + dt.timedelta(days=days)
        )
        response = HttpResponse(reports.ics(plans), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="visits.ics"'
        return response


@extend_schema(tags=["visits"])
class VisitLogViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[VisitLog]
):
    """Visit logs. Creating one applies the observed attitudes to the key persons' files and marks
    its plan done."""

    queryset = VisitLog.objects.none()
    serializer_class = VisitLogSerializer
    filterset_class = VisitLogFilterSet

    def get_queryset(self) -> QuerySet[VisitLog]:
        return (
            VisitLog.objects.restrict(_user(self.request))
            .select_related("customer", "manager")
            .prefetch_related("attitudes__key_person", "follow_ups__owner")
        )

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        attitudes = [
            {"key_person": a["key_person"], "attitude": a["after"], "note": a.get("note", "")}
            for a in data.pop("attitudes", [])
        ]
        follow_ups = [dict(f) for f in data.pop("follow_ups", [])]
        for f in follow_ups:
            f.pop("done", None)
        log = services.record_visit(_user(self.request), customer, attitudes=attitudes, follow_ups=follow_ups, **data)
        serializer.instance = self.get_queryset().get(pk=log.pk)


@extend_schema(tags=["visits"])
class FollowUpViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet[FollowUp]):
    """One follow-up; PATCH {"done": true} completes it."""

    queryset = FollowUp.objects.none()
    serializer_class = FollowUpSerializer

    def get_queryset(self) -> QuerySet[FollowUp]:
        return FollowUp.objects.restrict(_user(self.request)).select_related("owner", "log")

    def perform_update(self, serializer: Any) -> None:
        v = serializer.validated_data
        if set(v) - {"done"}:
            raise ValidationError({"done": "只能修改完成状态 / only `done` can be changed"})
        serializer.instance = services.complete_follow_up(_user(self.request), serializer.instance, v.get("done", True))


@extend_schema(tags=["visits"])
class VisitNormViewSet(viewsets.ReadOnlyModelViewSet[VisitNorm]):
    """Visit norms per tier (data the province edits)."""

    queryset = VisitNorm.objects.all()
    serializer_class = VisitNormSerializer
    pagination_class = None
    lookup_field = "tier"


@extend_schema(
    tags=["visits"],
    parameters=[OpenApiParameter("manager", int, description="only customers on this staff member's team")],
)
class OverdueView(generics.ListAPIView[Customer]):
    """Customers in your scope not visited within their tier's norm, longest overdue first."""

    serializer_class = OverdueSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Customer]:
        qs = Customer.objects.restrict(_user(self.request))
        manager = self.request.query_params.get("manager")
        if manager:
            if not manager.isdigit():
                raise ValidationError({"manager": "整数 / integer"})
            qs = qs.filter(team__staff_id=int(manager))
        return reports.overdue_customers(qs.only("id", "name", "tier", "created_at"))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "norms": reports.norms(), "now": timezone.now()}


class CoverageView(APIView):
    """Per customer manager: tiered customers and the share visited within the norm."""

    @extend_schema(tags=["visits"], responses={200: CoverageSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(CoverageSerializer(reports.coverage(_user(request)), many=True).data, status=status.HTTP_200_OK)
