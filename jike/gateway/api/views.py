"""Gateway platform API: SMS accounts (scoped like their customer), the province's connectors, routes and
global lists, the snapshot download and the monthly charges. Thin: writes go through services."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jike.core.http import staff
from jike.customers.models import Customer
from jike.gateway import services
from jike.gateway.filtersets import SmsAccountFilterSet
from jike.gateway.models import Connector, GlobalListEntry, ListKind, MonthlyCharge, Route, SmsAccount
from jike.gateway.snapshot import build_snapshot

from .serializers import (
    ConnectorSerializer,
    GlobalListEntrySerializer,
    ListEditSerializer,
    MonthlyChargeSerializer,
    PasswordSerializer,
    RouteSerializer,
    SmsAccountSerializer,
    SuspendSerializer,
)


class IsConfigurer(permissions.BasePermission):
    """Province configuration: the administrator and the province group-customer department."""

    message = "只有省公司可维护网关配置 / only the province manages the gateway configuration"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "can_configure", False))


def _account_qs(request: Request) -> QuerySet[SmsAccount]:
    return SmsAccount.objects.restrict(staff(request)).select_related("customer", "product")


@extend_schema_view(
    list=extend_schema(summary="SMS accounts of the customers in your scope"),
    retrieve=extend_schema(summary="An SMS account (the password is never returned)"),
    create=extend_schema(summary="Open an SMS account for a customer"),
    partial_update=extend_schema(summary="Change an account's settings and lists"),
)
@extend_schema(tags=["gateway"])
class SmsAccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[SmsAccount],
):
    queryset = SmsAccount.objects.none()
    serializer_class = SmsAccountSerializer
    filterset_class = SmsAccountFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[SmsAccount]:
        return _account_qs(self.request).order_by("system_id")

    def perform_create(self, serializer: SmsAccountSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        serializer.instance = services.create_account(staff(self.request), customer, **data)

    def perform_update(self, serializer: SmsAccountSerializer) -> None:  # type: ignore[override]
        assert isinstance(serializer.instance, SmsAccount)
        serializer.instance = services.update_account(
            staff(self.request), serializer.instance, **dict(serializer.validated_data)
        )

    def _answer(self, account: SmsAccount) -> Response:
        return Response(self.get_serializer(_account_qs(self.request).get(pk=account.pk)).data)

    @extend_schema(request=SuspendSerializer, responses=SmsAccountSerializer, summary="Suspend (binds refused)")
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        ser = SuspendSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._answer(services.suspend_account(staff(request), self.get_object(), ser.validated_data["reason"]))

    @extend_schema(request=None, responses=SmsAccountSerializer, summary="Re-activate a suspended account")
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.activate_account(staff(request), self.get_object()))

    @extend_schema(request=PasswordSerializer, responses=SmsAccountSerializer, summary="Reset the SMPP password")
    @action(detail=True, methods=["post"])
    def password(self, request: Request, pk: str | None = None) -> Response:
        ser = PasswordSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._answer(services.set_password(staff(request), self.get_object(), ser.validated_data["password"]))

    @extend_schema(
        request=ListEditSerializer, responses=SmsAccountSerializer, summary="Add/remove black, white list or keywords"
    )
    @action(detail=True, methods=["post"], url_path="lists")
    def lists(self, request: Request, pk: str | None = None) -> Response:
        ser = ListEditSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        account = services.edit_account_list(staff(request), self.get_object(), v["field"], v["add"], v["remove"])
        return self._answer(account)


@extend_schema(tags=["gateway"])
class ConnectorViewSet(viewsets.ModelViewSet[Connector]):
    """Upstream SMSC connections (province only); the password is write-only."""

    queryset = Connector.objects.order_by("name")
    serializer_class = ConnectorSerializer
    permission_classes = [permissions.IsAuthenticated, IsConfigurer]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer: ConnectorSerializer) -> None:  # type: ignore[override]
        serializer.instance = services.create_connector(staff(self.request), **dict(serializer.validated_data))

    def perform_update(self, serializer: ConnectorSerializer) -> None:  # type: ignore[override]
        assert isinstance(serializer.instance, Connector)
        data = dict(serializer.validated_data)
        serializer.instance = services.update_connector(staff(self.request), serializer.instance, **data)

    def perform_destroy(self, instance: Connector) -> None:
        services.delete_connector(staff(self.request), instance)


@extend_schema(tags=["gateway"])
class RouteViewSet(viewsets.ModelViewSet[Route]):
    """Number-segment routes (province only): the longest matching prefix wins; "" is the default route."""

    queryset = Route.objects.order_by("-prefix")
    serializer_class = RouteSerializer
    permission_classes = [permissions.IsAuthenticated, IsConfigurer]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer: RouteSerializer) -> None:  # type: ignore[override]
        serializer.instance = services.create_route(staff(self.request), **dict(serializer.validated_data))

    def perform_update(self, serializer: RouteSerializer) -> None:  # type: ignore[override]
        assert isinstance(serializer.instance, Route)
        data = dict(serializer.validated_data)
        serializer.instance = services.update_route(staff(self.request), serializer.instance, **data)

    def perform_destroy(self, instance: Route) -> None:
        services.delete_route(staff(self.request), instance)


class GlobalListFilterSet(filters.FilterSet):  # type: ignore[misc]
    kind = filters.ChoiceFilter(choices=ListKind.choices)
    q = filters.CharFilter(field_name="value", lookup_expr="icontains")

    class Meta:
        model = GlobalListEntry
        fields: list[str] = []


@extend_schema(tags=["gateway"])
class GlobalListViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[GlobalListEntry],
):
    """The province's global black list (numbers) and keyword list (province only)."""

    queryset = GlobalListEntry.objects.order_by("kind", "value")
    serializer_class = GlobalListEntrySerializer
    filterset_class = GlobalListFilterSet
    permission_classes = [permissions.IsAuthenticated, IsConfigurer]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = GlobalListEntrySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        entry = services.add_global_entries(staff(request), v["kind"], [v["value"]], v.get("notes", ""))[0]
        return Response(GlobalListEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: GlobalListEntry) -> None:
        services.remove_global_entry(staff(self.request), instance)


@extend_schema(
    tags=["gateway"],
    responses={200: OpenApiTypes.OBJECT},
    summary="The current configuration snapshot, exactly as `jike gateway-snapshot` writes it (province only)",
    description="Without the `gateway` process-settings block. Holds password hashes and SMSC passwords.",
)
class SnapshotView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsConfigurer]

    def get(self, request: Request) -> Response:
        return Response(build_snapshot())


class ChargeFilterSet(filters.FilterSet):  # type: ignore[misc]
    month = filters.CharFilter(field_name="month", help_text="YYYY-MM")
    customer = filters.NumberFilter(method="for_customer")

    class Meta:
        model = MonthlyCharge
        fields: list[str] = []

    def for_customer(self, qs: QuerySet[MonthlyCharge], name: str, value: int) -> QuerySet[MonthlyCharge]:
        return qs.filter(enterprise_code__in=Customer.objects.filter(pk=value).values("credit_code"))


@extend_schema(tags=["gateway"], summary="Monthly charges (rated by `jike gateway rate`) of customers in your scope")
class ChargeListView(generics.ListAPIView[MonthlyCharge]):
    serializer_class = MonthlyChargeSerializer
    filterset_class = ChargeFilterSet

    def get_queryset(self) -> QuerySet[MonthlyCharge]:
        codes = Customer.objects.restrict(staff(self.request)).values("credit_code")
        return MonthlyCharge.objects.filter(enterprise_code__in=codes).order_by("-month", "enterprise_code", "product")
