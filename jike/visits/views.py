"""Visit pages: plan and log forms, the manager's month calendar, coverage and overdue customers,
and the customer-page panel. Scope via restrict(); writes via services."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from jike.core.errors import BusinessRuleError
from jike.core.http import staff as _user
from jike.core.models import User
from jike.customers.models import Customer, KeyPerson
from jike.visits import reports, services
from jike.visits.forms import LogForm, PlanForm
from jike.visits.models import PlanStatus, VisitLog, VisitPlan
from jike.web.registry import can_change


def _error_text(exc: Exception) -> str:
    return exc.message if isinstance(exc, BusinessRuleError) else "; ".join(getattr(exc, "messages", [str(exc)]))


@login_required
def plan_new(request: HttpRequest, customer_pk: int) -> HttpResponse:
    user = _user(request)
    customer = get_object_or_404(Customer.objects.restrict(user), pk=customer_pk)
    form = PlanForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        try:
            plan = services.create_plan(user, customer, **d)
        except (BusinessRuleError, ValidationError) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("拜访计划已登记：%(number)s") % {"number": plan.number})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "visits/plan_form.html", {"form": form, "customer": customer})


@login_required
def log_new(request: HttpRequest, customer_pk: int) -> HttpResponse:
    user = _user(request)
    customer = get_object_or_404(Customer.objects.restrict(user), pk=customer_pk)
    plan = None
    if request.GET.get("plan") or request.POST.get("plan"):
        plan = get_object_or_404(
            VisitPlan.objects.restrict(user), pk=request.GET.get("plan") or request.POST.get("plan"), customer=customer
        )
    initial: dict[str, Any] = {"visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    if plan is not None:
        initial.update({"method": plan.method, "opportunity": plan.opportunity_id})
    form = LogForm(request.POST or None, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        people = {p.pk: p for p in KeyPerson.objects.filter(customer=customer)}
        attitudes = [
            {"key_person": people[int(name.split("_")[1])], "attitude": value}
            for name, value in d.items()
            if name.startswith("attitude_") and value
        ]
        follow_ups = [{"action": d["follow_up"], "due_date": d["follow_up_due"]}] if d.get("follow_up") else []
        try:
            services.record_visit(
                user, customer, summary=d["summary"], visited_at=d["visited_at"], method=d["method"], plan=plan,
                opportunity=d["opportunity"], attitudes=attitudes, follow_ups=follow_ups,
            )  # fmt: skip
        except (BusinessRuleError, ValidationError) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("拜访记录已保存"))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "visits/log_form.html", {"form": form, "customer": customer, "plan": plan})


def _month(request: HttpRequest) -> tuple[int, int]:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        dt.date(year, month, 1)
    except (ValueError, TypeError):
        today = timezone.localdate()
        return today.year, today.month
    return year, month


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    manager = user
    if request.GET.get("manager", "").isdigit():
        manager = get_object_or_404(User, pk=int(request.GET["manager"]))
    year, month = _month(request)
    entries = reports.calendar_entries(user, manager, year, month)
    weeks = [
        [(day, entries.get(day, [])) if day.month == month else (day, None) for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    first = dt.date(year, month, 1)
    prev_month = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    next_month = (first + dt.timedelta(days=32)).strftime("%Y-%m")
    return render(
        request,
        "visits/calendar.html",
        {"weeks": weeks, "manager": manager, "month": first, "prev": prev_month, "next": next_month,
         "today": timezone.localdate()},
    )  # fmt: skip


@login_required
def coverage_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    overdue = reports.overdue_customers(Customer.objects.restrict(user).only("id", "name", "tier", "created_at"))
    return render(
        request,
        "visits/coverage.html",
        {"rows": reports.coverage(user), "overdue": overdue[:100], "overdue_count": overdue.count(),
         "norms": sorted(reports.norms().items()), "now": timezone.now()},
    )  # fmt: skip


def customer_panel(request: HttpRequest, customer: Customer) -> str:
    """Customer 360 panel: last and next visit, overdue flag, recent logs (customer already scope-checked)."""
    user = _user(request)
    status = reports.customer_visit_status(customer)
    logs = VisitLog.objects.restrict(user).filter(customer=customer).select_related("manager")[:5]
    plans = (
        VisitPlan.objects.restrict(user)
        .filter(customer=customer, status=PlanStatus.PLANNED)
        .select_related("manager")
        .order_by("planned_at")[:5]
    )
    ctx: dict[str, Any] = {
        "customer": customer,
        "status": status,
        "logs": logs,
        "plans": plans,
        "can_add": can_change(request, customer),
    }
    return render_to_string("visits/panel.html", ctx, request=request)
