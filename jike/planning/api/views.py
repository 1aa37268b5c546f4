from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jike.planning import exports, services
from jike.planning.filtersets import AccountPlanFilterSet
from jike.planning.models import AccountPlan

from .serializers import (
    ROW_SERIALIZERS,
    AccountPlanDetailSerializer,
    AccountPlanSerializer,
    AccountPlanWriteSerializer,
    PlanReviewSerializer,
)

TAG = "account-plans"


def _detail(request: Request, plan: AccountPlan, code: int = 200) -> Response:
    plan = _plans(request).get(pk=plan.pk)
    return Response(AccountPlanDetailSerializer(plan, context={"request": request}).data, status=code)


def _plans(request: Request) -> QuerySet[AccountPlan]:
    return AccountPlan.objects.restrict(request.user).select_related("customer", "author", "reviewer")


def _file(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@extend_schema_view(
    list=extend_schema(summary="Account plans of the customers in your scope"),
    retrieve=extend_schema(summary="A plan version with the six steps, what is missing and the weighted score"),
    create=extend_schema(
        summary="Start version 1 of a customer's plan (step 3 pre-filled from the customer file)",
        request=AccountPlanWriteSerializer,
        responses={201: AccountPlanDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit the text of a draft or returned plan",
        request=AccountPlanWriteSerializer,
        responses=AccountPlanDetailSerializer,
    ),
)
@extend_schema(tags=[TAG])
class AccountPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[AccountPlan],
):
    """Six-step account plans (六步分析法): versioned, reviewed by an industry manager, exported."""

    filterset_class = AccountPlanFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[AccountPlan]:
        qs = _plans(self.request).order_by("-updated_at", "-id")
        if self.action == "retrieve":
            qs = qs.prefetch_related(*ROW_SERIALIZERS.keys())
        return qs

    def get_serializer_class(self) -> Any:
        if self.action in {"create", "partial_update"}:
            return AccountPlanWriteSerializer
        return AccountPlanSerializer if self.action == "list" else AccountPlanDetailSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = AccountPlanWriteSerializer(data=request.data, context={"request": request})
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        customer = data.pop("customer")
        plan = services.create_plan(request.user, customer, **data)  # type: ignore[arg-type]
        return _detail(request, plan, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        ser = AccountPlanWriteSerializer(plan, data=request.data, partial=True, context={"request": request})
        ser.is_valid(raise_exception=True)
        services.update_plan(request.user, plan, **ser.validated_data)  # type: ignore[arg-type]
        return _detail(request, plan)

    @extend_schema(request=None, responses=AccountPlanDetailSerializer, summary="Submit for review (checks every step)")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        plan = services.submit(request.user, self.get_object())  # type: ignore[arg-type]
        return _detail(request, plan)

    @extend_schema(request=PlanReviewSerializer, responses=AccountPlanDetailSerializer, summary="Approve (reviewer)")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        ser = PlanReviewSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        plan = services.approve(request.user, self.get_object(), ser.validated_data["comment"])  # type: ignore[arg-type]
        return _detail(request, plan)

    @extend_schema(
        request=PlanReviewSerializer,
        responses=AccountPlanDetailSerializer,
        summary="Return to the author with a comment (reviewer)",
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_plan(self, request: Request, pk: str | None = None) -> Response:
        ser = PlanReviewSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        plan = services.return_plan(request.user, self.get_object(), ser.validated_data["comment"])  # type: ignore[arg-type]
        return _detail(request, plan)

    @extend_schema(
        request=None,
        responses={201: AccountPlanDetailSerializer},
        summary="Start the next version as a copy of this approved one",
    )
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request: Request, pk: str | None = None) -> Response:
        plan = services.new_version(request.user, self.get_object())  # type: ignore[arg-type]
        return _detail(request, plan, status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="A4 PDF in Chinese")},
        summary="Export the plan as PDF (logged)",
    )
    @action(detail=True, methods=["get"], url_path="export.pdf")
    def export_pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        return _file(*exports.export_plan(request.user, self.get_object(), "pdf"))  # type: ignore[arg-type]

    @extend_schema(
        responses={
            (200, exports.FORMATS["xlsx"][0]): OpenApiResponse(OpenApiTypes.BINARY, description="one sheet per step")
        },
        summary="Export the plan as XLSX (logged)",
    )
    @action(detail=True, methods=["get"], url_path="export.xlsx")
    def export_xlsx(self, request: Request, pk: str | None = None) -> HttpResponse:
        return _file(*exports.export_plan(request.user, self.get_object(), "xlsx"))  # type: ignore[arg-type]


class PlanRowViewSet(viewsets.ModelViewSet[Model]):
    """Rows of one step's table of a plan; written only while the plan is a draft or returned."""

    section = ""
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    pagination_class = None

    def plan(self) -> AccountPlan:
        return get_object_or_404(_plans(self.request), pk=self.kwargs["plan_pk"])

    def get_queryset(self) -> QuerySet[Model]:
        model = services.SECTIONS[self.section].model
        if getattr(self, "swagger_fake_view", False):
            return model.objects.none()  # type: ignore[attr-defined,no-any-return]
        return model.objects.restrict(self.request.user).filter(plan=self.plan())  # type: ignore[attr-defined,no-any-return]

    def perform_create(self, serializer: serializers.BaseSerializer[Model]) -> None:
        serializer.instance = services.add_row(
            self.request.user,  # type: ignore[arg-type]
            self.plan(),
            self.section,
            **serializer.validated_data,  # type: ignore[arg-type]
        )

    def perform_update(self, serializer: serializers.BaseSerializer[Model]) -> None:
        assert serializer.instance is not None
        serializer.instance = services.update_row(
            self.request.user,  # type: ignore[arg-type]
            serializer.instance,
            **serializer.validated_data,  # type: ignore[arg-type]
        )

    def perform_destroy(self, instance: Model) -> None:
        services.delete_row(self.request.user, instance)  # type: ignore[arg-type]


def _row_viewset(section: str) -> type[PlanRowViewSet]:
    label = section.replace("_", " ")
    cls = type(
        f"Plan{section.title().replace('_', '')}ViewSet",
        (PlanRowViewSet,),
        {"section": section, "serializer_class": ROW_SERIALIZERS[section], "__doc__": f"Plan rows: {label}."},
    )
    return extend_schema(tags=[TAG])(cls)  # type: ignore[no-any-return]


ROW_VIEWSETS = {section: _row_viewset(section) for section in ROW_SERIALIZERS}
