"""Account plan filters shared by the API and the UI list."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jike.core.models import OrgUnit

from .choices import PlanStatus
from .models import AccountPlan


class AccountPlanFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索（客户/规划名称）"))
    customer = filters.NumberFilter(field_name="customer_id", label=_("客户"))
    status = filters.MultipleChoiceFilter(choices=PlanStatus.choices, label=_("状态"))
    is_current = filters.BooleanFilter(label=_("当前有效"))
    year = filters.NumberFilter(label=_("规划年度"))
    city = filters.ModelChoiceFilter(
        field_name="customer__city", queryset=OrgUnit.objects.filter(level="city"), label=_("市公司")
    )

    class Meta:
        model = AccountPlan
        fields: list[str] = []

    def search(self, qs: QuerySet[AccountPlan], name: str, value: str) -> QuerySet[AccountPlan]:
        value = value.strip()
        return qs.filter(Q(customer__name__icontains=value) | Q(title__icontains=value)) if value else qs
