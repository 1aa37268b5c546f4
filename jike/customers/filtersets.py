"""Customer filters shared by the API and the UI list."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jike.core.models import OrgUnit, User
from jike.core.roles import Scope
from jike.customers.choices import Industry, Lifecycle, MemberStatus, PaymentMode, Tier
from jike.customers.models import Customer, Member, TeamAssignment

# The searched text; the same expression as the character index of migration 0007.
SEARCH_EXPR = "(customers_customer.name || ' ' || customers_customer.short_name)"
SEARCH_CHARS = f"string_to_array(lower({SEARCH_EXPR}), NULL)"


class CustomerFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索（名称/简称/信用代码）"))
    tier = filters.MultipleChoiceFilter(choices=Tier.choices, distinct=False, label=_("等级"))
    grade = filters.CharFilter(label=_("细分等级"))
    industry = filters.MultipleChoiceFilter(choices=Industry.choices, distinct=False, label=_("行业"))
    status = filters.MultipleChoiceFilter(choices=Lifecycle.choices, distinct=False, label=_("状态"))
    city = filters.ModelChoiceFilter(queryset=OrgUnit.objects.filter(level="city"), label=_("市公司"))
    county = filters.ModelChoiceFilter(queryset=OrgUnit.objects.filter(level="county"), label=_("县公司"))
    grid = filters.ModelChoiceFilter(queryset=OrgUnit.objects.filter(level="grid"), label=_("网格"))
    manager = filters.ModelChoiceFilter(queryset=User.objects.all(), method="by_manager", label=_("服务人员"))
    parent = filters.NumberFilter(field_name="parent_id", label=_("上级单位"))
    strategic = filters.BooleanFilter(label=_("战略客户"))
    min_spend = filters.NumberFilter(field_name="monthly_spend", lookup_expr="gte", label=_("月消费≥"))
    agreement_end_before = filters.DateFilter(field_name="agreement_end", lookup_expr="lte", label=_("协议到期早于"))
    ordering = filters.OrderingFilter(
        fields=(
            ("monthly_spend", "monthly_spend"),
            ("name", "name"),
            ("member_count", "member_count"),
            ("updated_at", "updated_at"),
        ),
        label=_("排序"),
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def search(self, qs: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = value.strip()
        if not value:
            return qs
        if len(value) == 18 and value.isalnum():
            return qs.filter(credit_code=value.upper())
        if connection.vendor == "postgresql":
            # ILIKE on the expression of the character index (migration 0007); icontains' UPPER()
            # could not use an index. The characters narrow the rows through the index, the ILIKE
            # keeps the result exact.
            pattern = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where = [f"{SEARCH_EXPR} ILIKE %s"]
            params = [pattern]
            # A customer manager's team (a few thousand customers at most, read through the
            # primary key) is quicker to filter than to intersect with the characters' lists.
            user = getattr(self.request, "user", None)
            if getattr(user, "scope", None) != Scope.TEAM:
                where.append(f"{SEARCH_CHARS} @> string_to_array(lower(%s), NULL)")
                params.append(value)
            return qs.extra(where=where, params=params)
        return qs.filter(Q(name__icontains=value) | Q(short_name__icontains=value))

    def by_manager(self, qs: QuerySet[Customer], name: str, value: Any) -> QuerySet[Customer]:
        if not value:
            return qs
        return qs.filter(Exists(TeamAssignment.objects.filter(customer=OuterRef("pk"), staff=value)))


class MemberFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索（号码/姓名/部门）"))
    status = filters.MultipleChoiceFilter(choices=MemberStatus.choices, distinct=False, label=_("状态"))
    payment_mode = filters.MultipleChoiceFilter(choices=PaymentMode.choices, distinct=False, label=_("付费方式"))
    is_key_person = filters.BooleanFilter(label=_("关键人"))
    department = filters.CharFilter(lookup_expr="icontains", label=_("部门"))

    class Meta:
        model = Member
        fields: list[str] = []

    def search(self, qs: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        value = value.strip()
        if not value:
            return qs
        if value.isdigit():
            return qs.filter(msisdn__startswith=value) if len(value) < 11 else qs.filter(msisdn=value)
        return qs.filter(Q(name__icontains=value) | Q(department__icontains=value))
