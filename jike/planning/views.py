"""Account plan pages: list, the plan with its six steps as tabs (HTMX row add/edit/delete), review
buttons and exports, and the customer page's "current plan" panel. Writes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jike.catalog.forms import style
from jike.core.errors import BusinessRuleError
from jike.customers.models import Customer
from jike.web.registry import can_change

from . import exports, services
from .choices import EDITABLE_STATUSES, PlanStatus
from .filtersets import AccountPlanFilterSet
from .forms import STEP_TEXT_FIELDS, plan_text_form, row_form
from .models import AccountPlan

STEP_SECTIONS = {step: keys for step, (_title, keys) in exports.STEPS.items()}


def _plans(request: HttpRequest) -> models.QuerySet[AccountPlan]:
    return AccountPlan.objects.restrict(request.user).select_related("customer", "author", "reviewer")


def _plan(request: HttpRequest, pk: int) -> AccountPlan:
    return get_object_or_404(_plans(request), pk=pk)


def _can_edit(request: HttpRequest, plan: AccountPlan) -> bool:
    return (
        plan.status in EDITABLE_STATUSES
        and Customer.objects.restrict(request.user, "change").filter(pk=plan.customer_id).exists()
    )


def _display(row: models.Model, name: str) -> str:
    field = row._meta.get_field(name)
    value = getattr(row, name)
    if getattr(field, "choices", None):
        return str(getattr(row, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return "" if value is None else str(value)


def _section_context(request: HttpRequest, plan: AccountPlan, section: str, form: Any = None) -> dict[str, Any]:
    spec = services.SECTIONS[section]
    rows = list(spec.model.objects.filter(plan=plan))  # type: ignore[attr-defined]
    return {
        "plan": plan,
        "section": section,
        "title": spec.model._meta.verbose_name,
        "headers": [getattr(spec.model._meta.get_field(f), "verbose_name", f) for f in spec.fields],
        "rows": [(row.pk, [_display(row, f) for f in spec.fields]) for row in rows],
        "form": form if form is not None else row_form(section),
        "editable": _can_edit(request, plan),
    }


def _section_html(request: HttpRequest, plan: AccountPlan, section: str, form: Any = None) -> HttpResponse:
    return render(request, "planning/_section.html", _section_context(request, plan, section, form))


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    fs = AccountPlanFilterSet(request.GET or None, queryset=_plans(request).order_by("-updated_at", "-id"))
    style(fs.form)
    page = Paginator(fs.qs, 50).get_page(request.GET.get("page"))
    return render(request, "planning/plan_list.html", {"filter": fs, "page": page})


@login_required
@require_POST
def plan_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.restrict(request.user), pk=customer_pk)
    try:
        plan = services.create_plan(request.user, customer)  # type: ignore[arg-type]
    except BusinessRuleError as exc:
        messages.error(request, exc.message)
        existing = _plans(request).filter(customer=customer).order_by("-version").first()
        return redirect("planning:detail", existing.pk) if existing else redirect("planning:list")
    messages.success(request, _("已创建客户规划，第三步已从客户档案预填"))
    return redirect("planning:detail", plan.pk)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    editable = _can_edit(request, plan)
    steps = []
    for step, (title, keys) in exports.STEPS.items():
        steps.append(
            {
                "n": step,
                "title": title,
                "text_form": plan_text_form(step, instance=plan),
                "texts": exports.plan_texts(plan)[step],
                "sections": [_section_context(request, plan, key) for key in keys],
            }
        )
    versions = (
        AccountPlan.objects.filter(customer=plan.customer)
        .order_by("-version")
        .only("id", "version", "status", "is_current")
    )
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "steps": steps,
            "header_form": plan_text_form(0, instance=plan),
            "editable": editable,
            "can_review": plan.status == PlanStatus.SUBMITTED and services.can_review(request.user, plan),
            "can_new_version": plan.status == PlanStatus.APPROVED
            and Customer.objects.restrict(request.user, "change").filter(pk=plan.customer_id).exists(),
            "missing": services.missing_sections(plan) if editable else [],
            "score": services.weighted_score(plan),
            "versions": versions,
        },
    )


@login_required
@require_POST
def plan_text(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    plan = _plan(request, pk)
    if step not in STEP_TEXT_FIELDS:
        raise Http404
    form = plan_text_form(step, request.POST, instance=AccountPlan.objects.get(pk=plan.pk))
    if form.is_valid():
        data = {f: form.cleaned_data[f] for f in STEP_TEXT_FIELDS[step]}
        try:
            services.update_plan(request.user, plan, **data)  # type: ignore[arg-type]
            messages.success(request, _("已保存"))
        except (BusinessRuleError, ValidationError) as exc:
            messages.error(request, getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [])))
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(f"{plan_url(plan)}#step-{max(step, 1)}")


def plan_url(plan: AccountPlan) -> str:
    from django.urls import reverse

    return reverse("planning:detail", args=[plan.pk])


@login_required
@require_POST
def row_add(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    plan = _plan(request, pk)
    if section not in services.SECTIONS:
        raise Http404
    form = row_form(section, request.POST)
    if form.is_valid():
        try:
            services.add_row(request.user, plan, section, **form.cleaned_data)  # type: ignore[arg-type]
        except BusinessRuleError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _section_html(request, plan, section)
    return _section_html(request, plan, section, form)


def _row(request: HttpRequest, plan: AccountPlan, section: str, row_pk: int) -> models.Model:
    if section not in services.SECTIONS:
        raise Http404
    model = services.SECTIONS[section].model
    row: models.Model = get_object_or_404(model.objects.restrict(request.user).filter(plan=plan), pk=row_pk)  # type: ignore[attr-defined]
    return row


@login_required
def row_edit(request: HttpRequest, pk: int, section: str, row_pk: int) -> HttpResponse:
    """GET: the row as a form (HTMX swaps it in); POST: save and return the section table."""
    plan = _plan(request, pk)
    row = _row(request, plan, section, row_pk)
    if request.method == "POST":
        fresh = services.SECTIONS[section].model.objects.get(pk=row.pk)  # type: ignore[attr-defined]
        form = row_form(section, request.POST, instance=fresh)
        if form.is_valid():
            try:
                fields = services.SECTIONS[section].fields
                services.update_row(request.user, row, **{f: form.cleaned_data[f] for f in fields})  # type: ignore[arg-type]
            except BusinessRuleError as exc:
                messages.error(request, exc.message)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
            return _section_html(request, plan, section)
    else:
        form = row_form(section, instance=row)
    return render(request, "planning/_row_form.html", {"plan": plan, "section": section, "row": row, "form": form})


@login_required
@require_POST
def row_delete(request: HttpRequest, pk: int, section: str, row_pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    row = _row(request, plan, section, row_pk)
    try:
        services.delete_row(request.user, row)  # type: ignore[arg-type]
    except BusinessRuleError as exc:
        messages.error(request, exc.message)
    return _section_html(request, plan, section)


@login_required
@require_POST
def plan_action(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    plan = _plan(request, pk)
    user: Any = request.user
    comment = request.POST.get("comment", "")
    try:
        if what == "submit":
            services.submit(user, plan)
            messages.success(request, _("已提交审核"))
        elif what == "approve":
            services.approve(user, plan, comment)
            messages.success(request, _("已批准，该版本成为当前有效规划"))
        elif what == "return":
            services.return_plan(user, plan, comment)
            messages.success(request, _("已退回编制人"))
        elif what == "new-version":
            plan = services.new_version(user, plan)
            messages.success(request, _("已新建版本"))
        else:
            raise Http404
    except BusinessRuleError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("planning:detail", plan.pk)


@login_required
def plan_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    from urllib.parse import quote

    plan = _plan(request, pk)
    try:
        data, filename, content_type = exports.export_plan(request.user, plan, fmt)  # type: ignore[arg-type]
    except BusinessRuleError as exc:
        messages.error(request, exc.message)
        return redirect("planning:detail", plan.pk)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def current_plan_panel(request: HttpRequest, customer: Any) -> str:
    """Customer 360 panel: the current (approved) plan, a version in progress, or a button to start one."""
    plans = list(_plans(request).filter(customer=customer).order_by("-version")[:5])
    current = next((p for p in plans if p.is_current), None)
    in_progress = next((p for p in plans if p.status != PlanStatus.APPROVED), None)
    can_write = can_change(request, customer)
    if not plans and not (can_write and customer.tier in ("A", "B")):
        return ""
    context = {
        "customer": customer,
        "current": current,
        "in_progress": in_progress,
        "can_create": can_write and not plans,
        "score": services.weighted_score(current) if current else None,
        "solutions": list(current.solutions.all()[:5]) if current else [],
    }
    return render_to_string("planning/_panel.html", context, request=request)
