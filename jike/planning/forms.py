from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from jike.catalog.forms import style

from .models import AccountPlan
from .services import SECTIONS

# The text fields of the plan row edited on each step's tab.
STEP_TEXT_FIELDS: dict[int, list[str]] = {
    0: ["title", "year", "objective"],
    1: ["industry_revenue_mix", "industry_key_services", "industry_spending_traits"],
    2: ["competition_summary"],
    3: ["customer_profile", "network_status", "technology_strategy", "telecom_spend", "decision_process",
        "potential_needs"],
    4: ["solution_summary"],
    5: ["after_sales_capability"],
    6: ["planning_summary"],
}  # fmt: skip


def plan_text_form(step: int, data: Any = None, instance: AccountPlan | None = None) -> forms.ModelForm[AccountPlan]:
    form_class = forms.modelform_factory(
        AccountPlan,
        fields=STEP_TEXT_FIELDS[step],
        widgets=textareas(STEP_TEXT_FIELDS[step], rows=3, skip=("title", "year")),
    )
    form = form_class(data, prefix=f"step{step}", instance=instance)
    style(form)
    return form


def textareas(fields: list[str], rows: int, skip: tuple[str, ...] = ()) -> dict[str, type[forms.Widget] | forms.Widget]:
    return {f: forms.Textarea(attrs={"rows": rows}) for f in fields if f not in skip}


def row_form(section: str, data: Any = None, instance: models.Model | None = None) -> forms.ModelForm[models.Model]:
    spec = SECTIONS[section]
    text_fields = [f.name for f in spec.model._meta.get_fields() if isinstance(f, models.TextField)]
    form_class = forms.modelform_factory(spec.model, fields=spec.fields, widgets=textareas(text_fields, rows=2))
    form = form_class(data, prefix=section, instance=instance)
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-control form-control-sm"
        if isinstance(field.widget, forms.Select):
            field.widget.attrs["class"] = "form-select form-select-sm"
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs["class"] = "form-check-input"
    return form
