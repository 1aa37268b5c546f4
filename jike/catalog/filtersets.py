"""Catalog and holding filters shared by the API and the UI."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jike.core.models import OrgUnit

from .models import Holding, Lifecycle, Platform, Product, ProductKind, Purpose


class ProductFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索（名称/编码）"))
    platform = filters.MultipleChoiceFilter(choices=Platform.choices, label=_("网络平台"))
    purpose = filters.MultipleChoiceFilter(choices=Purpose.choices, label=_("用途"))
    kind = filters.MultipleChoiceFilter(choices=ProductKind.choices, label=_("产品层级"))
    lifecycle = filters.MultipleChoiceFilter(choices=Lifecycle.choices, label=_("生命周期"))
    region = filters.ModelChoiceFilter(
        queryset=OrgUnit.objects.filter(level="city"), method="sold_in", label=_("销售区域")
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def search(self, qs: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value) | Q(name_en__icontains=value))

    def sold_in(self, qs: QuerySet[Product], name: str, value: Any) -> QuerySet[Product]:
        """Products sold in the city: those listing it and those sold province-wide (no regions)."""
        if not value:
            return qs
        return qs.filter(Q(regions=value) | Q(regions__isnull=True)).distinct()


class HoldingFilterSet(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id", label=_("客户"))
    product = filters.NumberFilter(field_name="product_id", label=_("产品"))
    platform = filters.MultipleChoiceFilter(
        field_name="product__platform", choices=Platform.choices, label=_("网络平台")
    )
    active = filters.BooleanFilter(method="only_active", label=_("在用"))

    class Meta:
        model = Holding
        fields: list[str] = []

    def only_active(self, qs: QuerySet[Holding], name: str, value: bool | None) -> QuerySet[Holding]:
        if value is None:
            return qs
        today = dt.date.today()
        current = (Q(end__isnull=True) | Q(end__gte=today)) & Q(start__lte=today)
        return qs.filter(current) if value else qs.exclude(current)
