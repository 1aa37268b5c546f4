from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jike.catalog import services
from jike.catalog.filtersets import HoldingFilterSet, ProductFilterSet
from jike.catalog.models import Holding, Product
from jike.customers.models import Customer

from .serializers import (
    BundleItemsWriteSerializer,
    HoldingEndSerializer,
    HoldingSerializer,
    HoldingsRollupSerializer,
    PriceBandsWriteSerializer,
    ProductDetailSerializer,
    ProductLifecycleSerializer,
    ProductQuoteQuerySerializer,
    ProductQuoteSerializer,
    ProductSerializer,
    SolutionComponentsWriteSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List products of the catalog"),
    retrieve=extend_schema(summary="A product with price bands, bundle items and solution components"),
    create=extend_schema(
        summary="Create a product (province only); starts as planned", responses=ProductDetailSerializer
    ),
    partial_update=extend_schema(summary="Edit a product (province only)", responses=ProductDetailSerializer),
)
@extend_schema(tags=["catalog"])
class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Product],
):
    """The product catalog: visible to every signed-in user (it is not customer data); edited by the province."""

    filterset_class = ProductFilterSet
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self) -> QuerySet[Product]:
        qs = Product.objects.prefetch_related("regions")
        if self.action != "list":
            qs = qs.prefetch_related(
                "price_bands", "bundle_items__component", "solution_components__product", "sub_products"
            )
        return qs.order_by("platform", "code")

    def get_serializer_class(self) -> Any:
        return ProductSerializer if self.action in {"list", "create", "partial_update"} else ProductDetailSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = ProductSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        regions = data.pop("regions", [])
        product = services.create_product(request.user, regions=regions, **data)  # type: ignore[arg-type]
        return Response(ProductDetailSerializer(self.get_queryset().get(pk=product.pk)).data, status=201)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = self.get_object()
        ser = ProductSerializer(product, data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        regions = data.pop("regions", None)
        services.update_product(request.user, product, regions=regions, **data)  # type: ignore[arg-type]
        return Response(ProductDetailSerializer(self.get_queryset().get(pk=product.pk)).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        request=ProductLifecycleSerializer, responses=ProductDetailSerializer, summary="Move the lifecycle on"
    )
    @action(detail=True, methods=["post"])
    def lifecycle(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        ser = ProductLifecycleSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.transition_lifecycle(request.user, product, ser.validated_data["to"])  # type: ignore[arg-type]
        return Response(ProductDetailSerializer(self.get_queryset().get(pk=product.pk)).data)

    @extend_schema(request=PriceBandsWriteSerializer, responses=ProductDetailSerializer, summary="Replace price bands")
    @action(detail=True, methods=["put"], url_path="price-bands")
    def price_bands(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        ser = PriceBandsWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.replace_price_bands(request.user, product, ser.validated_data["bands"])  # type: ignore[arg-type]
        return Response(ProductDetailSerializer(self.get_queryset().get(pk=product.pk)).data)

    @extend_schema(
        request=BundleItemsWriteSerializer, responses=ProductDetailSerializer, summary="Replace bundle items"
    )
    @action(detail=True, methods=["put"], url_path="bundle-items")
    def bundle_items(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        ser = BundleItemsWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        items = [(i["component"], i.get("quantity", 1)) for i in ser.validated_data["items"]]
        services.replace_bundle_items(request.user, product, items)  # type: ignore[arg-type]
        return Response(ProductDetailSerializer(self.get_queryset().get(pk=product.pk)).data)

    @extend_schema(
        request=SolutionComponentsWriteSerializer,
        responses=ProductDetailSerializer,
        summary="Replace the components of an industry solution",
    )
    @action(detail=True, methods=["put"], url_path="solution-components")
    def solution_components(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        ser = SolutionComponentsWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.replace_solution_components(
            request.user,  # type: ignore[arg-type]
            product,
            ser.validated_data["components"],
        )
        return Response(ProductDetailSerializer(self.get_queryset().get(pk=product.pk)).data)

    @extend_schema(
        parameters=[ProductQuoteQuerySerializer],
        responses=ProductQuoteSerializer,
        summary="Quote a quantity from the price bands",
    )
    @action(detail=True, methods=["get"])
    def quote(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        ser = ProductQuoteQuerySerializer(data=request.query_params)
        ser.is_valid(raise_exception=True)
        quote = services.price_for(product, ser.validated_data["quantity"], ser.validated_data.get("charging_mode"))
        return Response(ProductQuoteSerializer(quote).data)


@extend_schema_view(
    list=extend_schema(summary="Holdings of the customers in your scope"),
    create=extend_schema(summary="Record a product a customer has"),
    partial_update=extend_schema(summary="Change a holding (quantity, revenue, payment mode, dates)"),
)
@extend_schema(tags=["catalog"])
class HoldingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Holding],
):
    """What each group customer has; scoped like the customer (others' holdings are 404)."""

    serializer_class = HoldingSerializer
    filterset_class = HoldingFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Holding]:
        return (
            Holding.objects.restrict(self.request.user)
            .select_related("customer", "product")
            .order_by("customer_id", "product__code", "-start", "id")
        )

    def perform_create(self, serializer: HoldingSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        serializer.instance = services.add_holding(self.request.user, customer, **data)  # type: ignore[arg-type]

    def perform_update(self, serializer: HoldingSerializer) -> None:  # type: ignore[override]
        assert isinstance(serializer.instance, Holding)
        data = dict(serializer.validated_data)
        data.pop("customer", None)
        serializer.instance = services.update_holding(
            self.request.user,  # type: ignore[arg-type]
            serializer.instance,
            **data,
        )

    @extend_schema(request=HoldingEndSerializer, responses=HoldingSerializer, summary="End a holding (cancelled)")
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        holding = self.get_object()
        ser = HoldingEndSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        holding = services.end_holding(request.user, holding, ser.validated_data.get("end"))  # type: ignore[arg-type]
        return Response(HoldingSerializer(holding, context={"request": request}).data)


@extend_schema(
    tags=["catalog"],
    responses=HoldingsRollupSerializer,
    parameters=[OpenApiParameter("on", str, description="date (YYYY-MM-DD) holdings are active on; default today")],
    summary="Holdings of a customer and its group subtree, by product",
)
class HoldingsRollupView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        customer = get_object_or_404(Customer.objects.restrict(request.user), pk=pk)
        on = None
        if request.query_params.get("on"):
            from rest_framework.fields import DateField

            on = DateField().to_internal_value(request.query_params["on"])
        return Response(HoldingsRollupSerializer(services.holdings_rollup(customer, request.user, on)).data)
