"""Customer REST API. Views are thin: scope through restrict(), writes through services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from jike.core import audit
from jike.core.http import staff as _user
from jike.customers import services
from jike.customers.api.exports import MAX_EXPORT_ROWS, export_response
from jike.customers.api.serializers import (
    AuditEntrySerializer,
    CustomerListSerializer,
    CustomerSerializer,
    HierarchySerializer,
    KeyEventSerializer,
    KeyPersonSerializer,
    MemberSerializer,
)
from jike.customers.filtersets import CustomerFilterSet, MemberFilterSet
from jike.customers.models import Customer, KeyPerson, Member

FORMAT_PARAM = OpenApiParameter("file_format", str, enum=["xlsx", "csv"], default="xlsx", description="export format")
FILE_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="XLSX or CSV (UTF-8 with BOM) file")


def _writable(request: Request, customer: Customer) -> None:
    """Visible (else 404 already) but not writable by this role/scope: 403."""
    if not Customer.objects.restrict(_user(request), "change").filter(pk=customer.pk).exists():
        raise PermissionDenied("无权修改该客户 / not allowed to change this customer")


@extend_schema_view(
    list=extend_schema(summary="List group customers in your data scope"),
    retrieve=extend_schema(summary="A customer file"),
    create=extend_schema(summary="Create a customer file"),
    partial_update=extend_schema(summary="Update fields of a customer file"),
    update=extend_schema(summary="Replace a customer file"),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Customer],
):
    filterset_class = CustomerFilterSet

    def get_queryset(self) -> QuerySet[Customer]:
        qs = Customer.objects.restrict(_user(self.request)).select_related("city", "grid")
        if self.action != "list":
            qs = qs.select_related("county", "parent").prefetch_related("team__staff")
        return qs

    def filter_queryset(self, queryset: QuerySet[Customer]) -> QuerySet[Customer]:  # type: ignore[override]
        # The customer filters apply to the list; nested actions (members?q=...) filter their own rows.
        return super().filter_queryset(queryset) if self.action in ("list", "export") else queryset

    def get_serializer_class(self) -> type[Any]:
        return CustomerListSerializer if self.action in ("list", "export") else CustomerSerializer

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.open_customer_file(_user(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        assert serializer.instance is not None
        _writable(self.request, serializer.instance)
        serializer.instance = services.update_customer(
            _user(self.request), serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        summary="Members of the customer (numbers masked unless your role needs them)",
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("status", str, many=True),
            OpenApiParameter("payment_mode", str, many=True),
        ],
        responses=MemberSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="members")
    def members(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        qs = MemberFilterSet(
            request.query_params, queryset=Member.objects.filter(customer=customer).order_by("msisdn")
        ).qs
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(MemberSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(summary="Add a member", request=MemberSerializer, responses={201: MemberSerializer})
    @members.mapping.post
    def add_member(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        _writable(request, customer)
        ser = MemberSerializer(data=request.data, context={"request": request})
        ser.is_valid(raise_exception=True)
        member = services.add_member(_user(request), customer, **ser.validated_data)
        return Response(MemberSerializer(member, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Key persons (关键人) with attitude history", responses=KeyPersonSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="contacts")
    def contacts(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        qs = KeyPerson.objects.filter(customer=customer).prefetch_related("attitude_history__actor")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(KeyPersonSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(summary="Add a key person", request=KeyPersonSerializer, responses={201: KeyPersonSerializer})
    @contacts.mapping.post
    def add_contact(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        _writable(request, customer)
        ser = KeyPersonSerializer(data=request.data, context={"request": request})
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        data.pop("note", None)
        person = services.add_key_person(_user(request), customer, **data)
        return Response(KeyPersonSerializer(person, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Key events (大事记)", responses=KeyEventSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="events")
    def events(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        page = self.paginate_queryset(customer.key_events.all())
        return self.get_paginated_response(KeyEventSerializer(page, many=True).data)

    @extend_schema(summary="Record a key event", request=KeyEventSerializer, responses={201: KeyEventSerializer})
    @events.mapping.post
    def add_event(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        _writable(request, customer)
        ser = KeyEventSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        event = services.add_key_event(_user(request), customer, **ser.validated_data)
        return Response(KeyEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change history (audit) of the customer and its records", responses=AuditEntrySerializer(many=True)
    )
    @action(detail=True, methods=["get"], url_path="history")
    def history(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        page = self.paginate_queryset(audit.history(customer))  # type: ignore[arg-type]
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)

    @extend_schema(
        summary="Group hierarchy: parent chain, children in scope and roll-up of the subtree",
        responses=HierarchySerializer,
    )
    @action(detail=True, methods=["get"], url_path="hierarchy")
    def hierarchy(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        visible = Customer.objects.restrict(_user(request))
        chain = services.ancestors(customer)
        shown = set(visible.filter(pk__in=[c.pk for c in chain]).values_list("pk", flat=True))
        children = list(visible.filter(parent=customer).order_by("-monthly_spend")[:200])
        data = {
            "ancestors": [c for c in chain if c.pk in shown],
            "children": children,
            "rollup": services.rollup(customer),
        }
        return Response(HierarchySerializer(data).data)

    @extend_schema(
        summary="Export the filtered list (logged); accepts the list filters",
        parameters=[FORMAT_PARAM],
        responses={(200, "application/octet-stream"): FILE_RESPONSE},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request: Request) -> Any:
        fmt = "csv" if request.query_params.get("file_format") == "csv" else "xlsx"
        qs = self.filter_queryset(self.get_queryset())[:MAX_EXPORT_ROWS]
        headers = [
            "统一社会信用代码",
            "客户名称",
            "简称",
            "行业",
            "等级",
            "细分等级",
            "状态",
            "市公司",
            "网格",
            "月消费(元)",
            "成员数",
            "统付成员数",
            "协议到期",
        ]
        rows = (
            [c.credit_code, c.name, c.short_name, c.get_industry_display(), c.tier, c.grade, c.get_status_display(),
             c.city.name, c.grid.name if c.grid else "", float(c.monthly_spend), c.member_count, c.unified_member_count,
             c.agreement_end.isoformat() if c.agreement_end else ""]
            for c in qs
        )  # fmt: skip
        filters = {k: request.query_params.getlist(k) for k in request.query_params}
        return export_response(_user(request), "customers", fmt, headers, rows, filters)

    @extend_schema(
        summary="Export the customer's members (logged; masked unless your role needs numbers)",
        parameters=[FORMAT_PARAM],
        responses={(200, "application/octet-stream"): FILE_RESPONSE},
    )
    @action(detail=True, methods=["get"], url_path="members/export")
    def export_members(self, request: Request, pk: str) -> Any:
        customer = self.get_object()
        user = _user(request)
        fmt = "csv" if request.query_params.get("file_format") == "csv" else "xlsx"
        qs = Member.objects.filter(customer=customer).order_by("msisdn")[:MAX_EXPORT_ROWS]
        from jike.core.masking import phone_for

        headers = ["手机号码", "姓名", "部门", "关键人", "状态", "付费方式", "单位承担比例(%)", "入网日期", "离网日期"]
        rows = (
            [phone_for(user, m.msisdn), m.name, m.department, "是" if m.is_key_person else "否", m.get_status_display(),
             m.get_payment_mode_display(), m.unit_share or "", m.join_date.isoformat() if m.join_date else "",
             m.leave_date.isoformat() if m.leave_date else ""]
            for m in qs
        )  # fmt: skip
        return export_response(
            user, f"members-{customer.pk}", fmt, headers, rows, {"customer": customer.pk}, pii_unmasked=user.sees_pii
        )


@extend_schema(tags=["customers"])
class MemberViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet[Member]):
    """A member by id; update status (e.g. left), payment mode, department..."""

    serializer_class = MemberSerializer

    def get_queryset(self) -> QuerySet[Member]:
        return Member.objects.restrict(_user(self.request)).select_related("customer")

    def perform_update(self, serializer: Any) -> None:
        member = serializer.instance
        _writable(self.request, member.customer)
        serializer.instance = services.update_member(_user(self.request), member, **serializer.validated_data)


@extend_schema(tags=["customers"])
class KeyPersonViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet[KeyPerson]):
    """A key person by id; changing `attitude` records the change (with `note`) in the history."""

    serializer_class = KeyPersonSerializer

    def get_queryset(self) -> QuerySet[KeyPerson]:
        return (
            KeyPerson.objects.restrict(_user(self.request))
            .select_related("customer")
            .prefetch_related("attitude_history")
        )

    def perform_update(self, serializer: Any) -> None:
        person = serializer.instance
        _writable(self.request, person.customer)
        data = dict(serializer.validated_data)
        note = data.pop("note", "")
        serializer.instance = services.update_key_person(_user(self.request), person, note=note, **data)
