"""Opportunity and campaign filters shared by the API and the UI pages."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jike.core.models import OrgUnit, User
from jike.customers.choices import Industry, Tier
from jike.sales.models import OPEN_STAGES, Campaign, CampaignLevel, CampaignStatus, Opportunity, Source, Stage


class OpportunityFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索（编号/名称/客户）"))
    stage = filters.MultipleChoiceFilter(choices=Stage.choices, label=_("阶段"))
    open = filters.BooleanFilter(method="only_open", label=_("进行中"))
    source = filters.MultipleChoiceFilter(choices=Source.choices, label=_("来源"))
    customer = filters.NumberFilter(field_name="customer_id", label=_("客户"))
    city = filters.ModelChoiceFilter(
        field_name="customer__city", queryset=OrgUnit.objects.filter(level="city"), label=_("市公司")
    )
    industry = filters.MultipleChoiceFilter(field_name="customer__industry", choices=Industry.choices, label=_("行业"))
    tier = filters.MultipleChoiceFilter(field_name="customer__tier", choices=Tier.choices, label=_("客户等级"))
    owner = filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("负责人"))
    campaign = filters.ModelChoiceFilter(queryset=Campaign.objects.all(), label=_("营销活动"))
    close_from = filters.DateFilter(field_name="expected_close", lookup_expr="gte", label=_("预计成交自"))
    close_to = filters.DateFilter(field_name="expected_close", lookup_expr="lte", label=_("预计成交至"))
    stale = filters.BooleanFilter(method="by_stale", label=_("停滞"))

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def search(self, qs: QuerySet[Opportunity], name: str, value: str) -> QuerySet[Opportunity]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(number__iexact=value) | Q(title__icontains=value) | Q(customer__name__icontains=value))

    def only_open(self, qs: QuerySet[Opportunity], name: str, value: bool | None) -> QuerySet[Opportunity]:
        if value is None:
            return qs
        return qs.filter(stage__in=OPEN_STAGES) if value else qs.exclude(stage__in=OPEN_STAGES)

    def by_stale(self, qs: QuerySet[Opportunity], name: str, value: bool | None) -> QuerySet[Opportunity]:
        from jike.sales.reports import stale_q

        if value is None:
            return qs
        return qs.filter(stale_q()) if value else qs.exclude(stale_q())


class CampaignFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=CampaignStatus.choices, label=_("状态"))
    level = filters.ChoiceFilter(choices=CampaignLevel.choices, label=_("级别"))
    major = filters.BooleanFilter(label=_("重大活动"))
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("名称"))

    class Meta:
        model = Campaign
        fields: list[str] = []
