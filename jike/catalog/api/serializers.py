from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from jike.catalog.models import (
    BundleItem,
    ChargingMode,
    Holding,
    PriceBand,
    Product,
    SolutionComponent,
)
from jike.core.models import OrgUnit
from jike.customers.models import Customer


class PriceBandSerializer(serializers.ModelSerializer[PriceBand]):
    class Meta:
        model = PriceBand
        fields = ["id", "charging_mode", "unit", "from_qty", "to_qty", "unit_price"]
        read_only_fields = ["id"]


class BundleItemSerializer(serializers.ModelSerializer[BundleItem]):
    component_code = serializers.CharField(source="component.code", read_only=True)
    component_name = serializers.CharField(source="component.name", read_only=True)

    class Meta:
        model = BundleItem
        fields = ["component", "component_code", "component_name", "quantity"]


class SolutionComponentSerializer(serializers.ModelSerializer[SolutionComponent]):
    product_name = serializers.CharField(source="product.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = SolutionComponent
        fields = ["product", "product_name", "partner_service", "partner_name", "description"]


class ProductSerializer(serializers.ModelSerializer[Product]):
    regions = serializers.PrimaryKeyRelatedField(
        many=True, queryset=OrgUnit.objects.filter(level="city"), required=False
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "kind",
            "platform",
            "purpose",
            "parent",
            "lifecycle",
            "tiering",
            "regions",
            "description",
        ]
        read_only_fields = ["id", "lifecycle"]


class ProductDetailSerializer(ProductSerializer):
    price_bands = PriceBandSerializer(many=True, read_only=True)
    bundle_items = BundleItemSerializer(many=True, read_only=True)
    solution_components = SolutionComponentSerializer(many=True, read_only=True)
    sub_products: serializers.PrimaryKeyRelatedField[Product] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "price_bands", "bundle_items", "solution_components", "sub_products"]


class ProductLifecycleSerializer(serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=["planned", "development", "launched", "retired"])


class BundleItemsWriteSerializer(serializers.Serializer[Any]):
    items = BundleItemSerializer(many=True)


class SolutionComponentsWriteSerializer(serializers.Serializer[Any]):
    components = SolutionComponentSerializer(many=True)


class PriceBandsWriteSerializer(serializers.Serializer[Any]):
    bands = PriceBandSerializer(many=True)


class ProductQuoteQuerySerializer(serializers.Serializer[Any]):
    quantity = serializers.IntegerField(min_value=1)
    charging_mode = serializers.ChoiceField(choices=ChargingMode.choices, required=False)


class ProductQuoteLineSerializer(serializers.Serializer[Any]):
    from_qty = serializers.IntegerField()
    to_qty = serializers.IntegerField(allow_null=True)
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class ProductQuoteSerializer(serializers.Serializer[Any]):
    product = serializers.IntegerField(source="product.pk")
    charging_mode = serializers.CharField()
    unit = serializers.CharField()
    quantity = serializers.IntegerField()
    tiering = serializers.CharField()
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    average_price = serializers.DecimalField(max_digits=16, decimal_places=4)
    lines = ProductQuoteLineSerializer(many=True)


class HoldingSerializer(serializers.ModelSerializer[Holding]):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Holding
        fields = [
            "id",
            "customer",
            "customer_name",
            "product",
            "product_code",
            "product_name",
            "quantity",
            "start",
            "end",
            "monthly_revenue",
            "payment_mode",
            "notes",
            "active",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"start": {"required": False, "help_text": "default: today"}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            field = self.fields["customer"]
            field.queryset = Customer.objects.restrict(request.user)  # type: ignore[attr-defined]
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["customer"].read_only = True

    def get_active(self, obj: Holding) -> bool:
        today = dt.date.today()
        return obj.start <= today and (obj.end is None or obj.end >= today)


class HoldingEndSerializer(serializers.Serializer[Any]):
    end = serializers.DateField(required=False)


class HoldingsRollupProductSerializer(serializers.Serializer[Any]):
    product = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    platform = serializers.CharField()
    units = serializers.IntegerField()
    quantity = serializers.IntegerField()
    monthly_revenue = serializers.DecimalField(max_digits=16, decimal_places=2)


class HoldingsRollupSerializer(serializers.Serializer[Any]):
    customer = serializers.IntegerField()
    units = serializers.IntegerField(help_text="customers counted: this one and the group units below it in scope")
    hidden_units = serializers.IntegerField(help_text="group units below it outside the caller's scope")
    monthly_revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    products = HoldingsRollupProductSerializer(many=True)


ZERO = Decimal("0")
