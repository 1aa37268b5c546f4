"""SMS account filters shared by the API and the UI."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jike.core.models import OrgUnit

from .models import AccountStatus, SignatureMode, SmsAccount


class SmsAccountFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索（账号/客户/签名）"))
    status = filters.ChoiceFilter(choices=AccountStatus.choices, label=_("状态"), empty_label=_("全部状态"))
    signature_mode = filters.ChoiceFilter(
        choices=SignatureMode.choices, label=_("签名方式"), empty_label=_("全部签名方式")
    )
    city = filters.ModelChoiceFilter(
        queryset=OrgUnit.objects.filter(level="city").order_by("code"),
        field_name="customer__city",
        label=_("归属市公司"),
        empty_label=_("全部市公司"),
    )
    customer = filters.NumberFilter(field_name="customer_id", label=_("客户"))

    class Meta:
        model = SmsAccount
        fields: list[str] = []

    def search(self, qs: QuerySet[SmsAccount], name: str, value: str) -> QuerySet[SmsAccount]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(system_id__icontains=value)
            | Q(name__icontains=value)
            | Q(signature__icontains=value)
            | Q(customer__name__icontains=value)
            | Q(customer__credit_code=value.upper())
        )
