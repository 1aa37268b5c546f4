"""Read models for visits: last/next visit, overdue against the tier norms, coverage per manager,
the month calendar. Each takes scope-restricted querysets or the user and restricts itself."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from jike.core.models import User
from jike.core.roles import CUSTOMER_MANAGER_ROLES, Role
from jike.customers.models import Customer, TeamAssignment
from jike.visits.models import PlanStatus, VisitLog, VisitNorm, VisitPlan

COVERAGE_ROLES = {*CUSTOMER_MANAGER_ROLES, Role.CHIEF_REP, Role.PHONE_MANAGER}


# Used only when the norms table is empty (e.g. a test database flushed after a transactional test).
DEFAULT_NORMS = {"A": 30, "B": 60, "C": 90}


def norms() -> dict[str, int]:
    return dict(VisitNorm.objects.values_list("tier", "every_days")) or dict(DEFAULT_NORMS)


def last_visit_subquery(ref: str = "pk") -> Subquery:
    return Subquery(
        VisitLog.objects.filter(customer_id=OuterRef(ref)).order_by("-visited_at").values("visited_at")[:1],
        output_field=DateTimeField(),
    )


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Customers (annotated with `last_visit`) not visited within their tier's norm; a new customer
    counts from its creation so it is not overdue on its first day."""
    now = now or timezone.now()
    q = Q(pk__in=[])
    for tier, days in norms().items():
        q |= Q(tier=tier, reference_at__lt=now - dt.timedelta(days=days))
    return q


def with_visit_status(qs: QuerySet[Customer], now: dt.datetime | None = None) -> QuerySet[Customer]:
    qs = qs.annotate(last_visit=last_visit_subquery())
    qs = qs.annotate(reference_at=Coalesce(F("last_visit"), F("created_at")))
    return qs.annotate(
        overdue=Case(When(overdue_q(now), then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def overdue_customers(qs: QuerySet[Customer], now: dt.datetime | None = None) -> QuerySet[Customer]:
    return with_visit_status(qs, now).filter(overdue=True).order_by("reference_at", "id")  # type: ignore[misc]


def customer_visit_status(customer: Customer, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    last = VisitLog.objects.filter(customer=customer).select_related("manager").order_by("-visited_at").first()
    upcoming = (
        VisitPlan.objects.filter(
            customer=customer, status=PlanStatus.PLANNED, planned_at__gte=now - dt.timedelta(hours=12)
        )
        .select_related("manager")
        .order_by("planned_at")
        .first()
    )
    norm = norms().get(customer.tier) if customer.tier else None
    reference = last.visited_at if last else customer.created_at
    due = reference + dt.timedelta(days=norm) if norm else None
    return {
        "last": last,
        "next": upcoming,
        "norm_days": norm,
        "due": due,
        "overdue": bool(due and due < now),
        "days_overdue": (now - due).days if due and due < now else 0,
    }


def coverage(user: User, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per customer manager in the user's scope: his tiered customers and the share visited within
    their norm (one GROUP BY over team assignments)."""
    now = now or timezone.now()
    rules = norms()
    covered = Q(pk__in=[])
    for tier, days in rules.items():
        recent = VisitLog.objects.filter(
            customer_id=OuterRef("customer_id"), visited_at__gte=now - dt.timedelta(days=days)
        )
        covered |= Q(customer__tier=tier) & Q(Exists(recent))
    rows = (
        TeamAssignment.objects.restrict(user)
        .filter(staff__role__in=COVERAGE_ROLES, customer__tier__in=list(rules))
        .values("staff_id", "staff__full_name", "staff__username", "staff__org_unit__name")
        .annotate(
            customers=Count("customer_id", distinct=True), covered=Count("customer_id", distinct=True, filter=covered)
        )
        .order_by("staff__org_unit__name", "staff__username")
    )
    if user.role in COVERAGE_ROLES:
        rows = rows.filter(staff_id=user.pk)
    return [
        {
            "manager_id": r["staff_id"],
            "manager": r["staff__full_name"] or r["staff__username"],
            "org_unit": r["staff__org_unit__name"] or "",
            "customers": r["customers"],
            "covered": r["covered"],
            "share": round(r["covered"] / r["customers"], 4) if r["customers"] else 0.0,
        }
        for r in rows
    ]


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    days = calendar.monthrange(year, month)[1]
    return start, start + dt.timedelta(days=days)


def calendar_entries(user: User, manager: User, year: int, month: int) -> dict[dt.date, list[dict[str, Any]]]:
    """The manager's planned and done visits in the month, by local day, as far as `user` may see them."""
    start, end = month_bounds(year, month)
    out: dict[dt.date, list[dict[str, Any]]] = {}
    plans = (
        VisitPlan.objects.restrict(user)
        .filter(manager=manager, planned_at__gte=start, planned_at__lt=end)
        .select_related("customer")
        .order_by("planned_at")
    )
    for p in plans:
        day = timezone.localtime(p.planned_at).date()
        out.setdefault(day, []).append({"kind": "plan", "obj": p, "at": p.planned_at, "status": p.status})
    logs = (
        VisitLog.objects.restrict(user)
        .filter(manager=manager, visited_at__gte=start, visited_at__lt=end, plan__isnull=True)
        .select_related("customer")
    )
    for log in logs:
        day = timezone.localtime(log.visited_at).date()
        out.setdefault(day, []).append({"kind": "log", "obj": log, "at": log.visited_at, "status": "done"})
    for items in out.values():
        items.sort(key=lambda e: e["at"])
    return out


def ics(plans: QuerySet[VisitPlan]) -> str:
    """iCalendar (RFC 5545) of visit plans, for the manager's phone calendar."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")

    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Jike//visits//ZH", "CALSCALE:GREGORIAN"]
    for p in plans.select_related("customer"):
        start = p.planned_at.astimezone(dt.UTC)
        end = start + dt.timedelta(minutes=p.duration_minutes)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{p.number}@jike",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{end:%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{esc('拜访 ' + p.customer.name)}",
            f"DESCRIPTION:{esc(p.objectives)}",
            "STATUS:" + ("CANCELLED" if p.status == PlanStatus.CANCELLED else "CONFIRMED"),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
