"""Read models: stale flags, the pipeline board and the weighted forecast, all in SQL aggregates.

Everything takes an already scope-restricted queryset, so no report can leak another city.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from jike.customers.choices import Industry
from jike.sales.models import OPEN_STAGES, Opportunity, Stage, StageRule

DEC: Any = DecimalField(max_digits=18, decimal_places=2)
WEIGHTED = ExpressionWrapper(F("estimated_revenue") * F("probability") / Value(Decimal(100)), output_field=DEC)
BOARD_CARDS = 30
GROUPS = ("month", "city", "industry", "manager")


# Used only when the rules table is empty (e.g. a test database flushed after a transactional test).
DEFAULT_STALE_DAYS = {"discovered": 30, "qualified": 30, "solution": 21, "proposal": 14, "negotiation": 14}


def stale_rules() -> dict[str, int]:
    rules = list(StageRule.objects.values_list("stage", "stale_days"))
    if not rules:
        return dict(DEFAULT_STALE_DAYS)
    return {stage: days for stage, days in rules if days}


def stale_q(now: dt.datetime | None = None) -> Q:
    """Open and either quiet for longer than its stage allows, or past its expected close date."""
    now = now or timezone.now()
    quiet = Q(pk__in=[])
    for stage, days in stale_rules().items():
        if stage in OPEN_STAGES:
            quiet |= Q(stage=stage, last_activity_at__lt=now - dt.timedelta(days=days))
    overdue = Q(stage__in=OPEN_STAGES, expected_close__lt=timezone.localdate(now))
    return quiet | overdue


def with_stale(qs: QuerySet[Opportunity], now: dt.datetime | None = None) -> QuerySet[Opportunity]:
    return qs.annotate(
        stale=Case(When(stale_q(now), then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def board(qs: QuerySet[Opportunity], cards: int = BOARD_CARDS) -> list[dict[str, Any]]:
    """Per stage: totals over every opportunity in scope and the top cards by value.

    Totals come from one GROUP BY; the cards are one indexed query per stage (stage, -value)."""
    sq = stale_q()
    totals = {
        row["stage"]: row
        for row in qs.order_by()
        .values("stage")
        .annotate(
            count=Count("id"),
            amount=Coalesce(Sum("estimated_revenue"), Value(Decimal(0)), output_field=DEC),
            weighted=Coalesce(Sum(WEIGHTED), Value(Decimal(0)), output_field=DEC),
            stale=Count("id", filter=sq),
        )
    }
    card_qs = with_stale(qs.select_related("customer", "owner")).only(
        "id", "number", "title", "stage", "estimated_revenue", "probability", "expected_close", "last_activity_at",
        "customer__id", "customer__name", "owner__id", "owner__full_name", "owner__username",
    )  # fmt: skip
    columns = []
    for value, label in Stage.choices:
        t = totals.get(value, {})
        top = list(card_qs.filter(stage=value).order_by("-estimated_revenue", "-id")[:cards])
        columns.append(
            {
                "stage": value,
                "label": str(label),
                "count": t.get("count", 0),
                "amount": t.get("amount", Decimal(0)),
                "weighted": (t.get("weighted") or Decimal(0)).quantize(Decimal("0.01")),
                "stale": t.get("stale", 0),
                "cards": top,
            }
        )
    return columns


def forecast(qs: QuerySet[Opportunity], group_by: str) -> list[dict[str, Any]]:
    """Weighted forecast (estimated revenue x probability) of the open pipeline, grouped by
    expected-close month, city, industry or owner; one GROUP BY query."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    qs = qs.filter(stage__in=OPEN_STAGES).order_by()
    if group_by == "month":
        rows = qs.annotate(key=TruncMonth("expected_close")).values("key")
    elif group_by == "city":
        rows = qs.annotate(key=F("customer__city_id"), label=F("customer__city__name")).values("key", "label")
    elif group_by == "industry":
        rows = qs.annotate(key=F("customer__industry")).values("key")
    else:
        rows = qs.annotate(key=F("owner_id"), label=F("owner__full_name"), username=F("owner__username")).values(
            "key", "label", "username"
        )
    rows = rows.annotate(
        count=Count("id"),
        amount=Coalesce(Sum("estimated_revenue"), Value(Decimal(0)), output_field=DEC),
        weighted=Coalesce(Sum(WEIGHTED), Value(Decimal(0)), output_field=DEC),
    ).order_by("key")
    industries = dict(Industry.choices)
    out = []
    for row in rows:
        key = row["key"]
        if group_by == "month":
            label = key.strftime("%Y-%m") if key else "-"
            key = label
        elif group_by == "industry":
            label = str(industries.get(key, key))
        elif group_by == "manager":
            label = row.get("label") or row.get("username") or "-"
        else:
            label = row.get("label") or "-"
        out.append(
            {
                "key": str(key),
                "label": label,
                "count": row["count"],
                "amount": row["amount"],
                "weighted": row["weighted"].quantize(Decimal("0.01")),
            }
        )
    return out
