"""UI forms for visit plans and logs; choices limited to the customer in scope. Saving goes through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jike.customers.choices import Attitude
from jike.customers.models import Customer
from jike.sales.models import OPEN_STAGES, Opportunity
from jike.visits.models import Method


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxSelectMultiple):
            continue
        field.widget.attrs.setdefault(
            "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
        )


class PlanForm(forms.Form):
    planned_at = forms.DateTimeField(label=_("拜访时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    method = forms.ChoiceField(choices=Method.choices, label=_("拜访方式"))
    key_persons = forms.ModelMultipleChoiceField(
        queryset=Customer.objects.none(), required=False, label=_("拜访对象"), widget=forms.CheckboxSelectMultiple
    )
    objectives = forms.CharField(label=_("拜访目的"), widget=forms.Textarea(attrs={"rows": 2}))
    situation = forms.CharField(label=_("客户情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    visit_points = forms.CharField(label=_("拜访要点"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cautions = forms.CharField(label=_("注意事项"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    opportunity = forms.ModelChoiceField(queryset=Opportunity.objects.none(), required=False, label=_("相关商机"))

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key_persons"].queryset = customer.key_persons.filter(active=True)  # type: ignore[attr-defined]
        self.fields["opportunity"].queryset = Opportunity.objects.filter(  # type: ignore[attr-defined]
            customer=customer, stage__in=OPEN_STAGES
        )
        _style(self)


class LogForm(forms.Form):
    visited_at = forms.DateTimeField(label=_("拜访时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    method = forms.ChoiceField(choices=Method.choices, label=_("拜访方式"))
    summary = forms.CharField(label=_("拜访情况"), widget=forms.Textarea(attrs={"rows": 3}))
    opportunity = forms.ModelChoiceField(queryset=Opportunity.objects.none(), required=False, label=_("相关商机"))
    follow_up = forms.CharField(max_length=255, required=False, label=_("跟进事项"))
    follow_up_due = forms.DateField(required=False, label=_("完成期限"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["opportunity"].queryset = Opportunity.objects.filter(  # type: ignore[attr-defined]
            customer=customer, stage__in=OPEN_STAGES
        )
        choices = [("", "-"), *Attitude.choices]
        for person in customer.key_persons.filter(active=True):
            self.fields[f"attitude_{person.pk}"] = forms.ChoiceField(
                choices=choices, required=False, label=f"{person.name}（{person.get_attitude_display()}）"
            )
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("follow_up") and not data.get("follow_up_due"):
            self.add_error("follow_up_due", _("请填写完成期限"))
        return data

    def attitude_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("attitude_")]

    def main_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if not name.startswith("attitude_")]
