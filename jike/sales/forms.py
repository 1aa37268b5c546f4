"""UI forms for opportunities and campaigns; choices limited to the user's scope. Saving goes through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jike.catalog.models import Product
from jike.core.models import OrgUnit, User
from jike.customers.choices import Attitude
from jike.customers.models import Customer
from jike.sales.models import Campaign, Competitor, DealRole, Source


class OpportunityForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("客户"))
    title = forms.CharField(max_length=128, label=_("商机名称"))
    source = forms.ChoiceField(choices=Source.choices, label=_("来源"))
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False, label=_("营销活动"))
    estimated_revenue = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, label=_("预计收入(元)"))
    expected_close = forms.DateField(label=_("预计成交日期"), widget=forms.DateInput(attrs={"type": "date"}))
    product = forms.ModelChoiceField(queryset=Product.objects.all(), required=False, label=_("产品"))
    quantity = forms.IntegerField(min_value=1, initial=1, required=False, label=_("数量"))
    monthly_revenue = forms.DecimalField(min_value=0, required=False, label=_("预计月收入(元)"))
    main_competitor = forms.ModelChoiceField(queryset=Competitor.objects.all(), required=False, label=_("最强对手"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("说明"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.restrict(user, "change")  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = Campaign.objects.restrict(user)  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class NextStepForm(forms.Form):
    action = forms.CharField(
        max_length=255, label=_("下一步行动"), widget=forms.TextInput(attrs={"class": "form-control"})
    )
    due_date = forms.DateField(
        label=_("完成期限"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )


class PositionForm(forms.Form):
    position = forms.IntegerField(min_value=-5, max_value=5, label=_("我方态势(-5..+5)"),
                                  widget=forms.NumberInput(attrs={"class": "form-control"}))  # fmt: skip
    competitor = forms.ModelChoiceField(queryset=Competitor.objects.all(), required=False, label=_("最强对手"),
                                        widget=forms.Select(attrs={"class": "form-select"}))  # fmt: skip
    note = forms.CharField(max_length=255, required=False, label=_("判断依据"),
                           widget=forms.TextInput(attrs={"class": "form-control"}))  # fmt: skip


class InfluencerForm(forms.Form):
    key_person = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("关键人"),
                                        widget=forms.Select(attrs={"class": "form-select"}))  # fmt: skip
    deal_role = forms.ChoiceField(choices=DealRole.choices, label=_("在本项目中的角色"),
                                  widget=forms.Select(attrs={"class": "form-select"}))  # fmt: skip

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key_person"].queryset = customer.key_persons.filter(active=True)  # type: ignore[attr-defined]


class AttitudeForm(forms.Form):
    attitude = forms.ChoiceField(choices=Attitude.choices, label=_("态度"),
                                 widget=forms.Select(attrs={"class": "form-select form-select-sm"}))  # fmt: skip
    note = forms.CharField(max_length=200, required=False, label=_("说明"),
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))  # fmt: skip


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=128, label=_("活动名称"))
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("主办单位"))
    theme = forms.CharField(max_length=255, required=False, label=_("主题"))
    start_date = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    major = forms.BooleanField(required=False, label=_("重大活动（需省公司审批）"))
    budget = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, initial=0, label=_("预算(元)"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("说明"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = OrgUnit.objects.filter(level__in=["province", "city"])
        if user.org_unit is not None and not (user.is_superuser or user.scope == "all"):
            units = units.filter(path__startswith=user.org_unit.path)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            if name != "major":
                field.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
                )
