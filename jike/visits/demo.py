"""Demo visits, called by `jike demo-data` after customers and sales: logs over the last months
(A customers more often, following the norms, with some overdue) and plans for the weeks ahead."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from jike.core.models import User
from jike.core.roles import Role
from jike.customers.demo import sink
from jike.customers.models import Customer, TeamAssignment
from jike.sales.numbering import reserve_block
from jike.visits.models import VisitLog, VisitPlan

# Average visits in the last 120 days per tier, and the chance of a planned visit ahead.
VISITS = {"A": 4.0, "B": 1.8, "C": 0.6, "": 0.3}
PLANNED = {"A": 0.6, "B": 0.3, "C": 0.08, "": 0.02}
SUMMARIES = [
    "了解客户网络现状，客户关注专线带宽与价格", "介绍视频监控方案，约定下周演示", "续约沟通，客户对资费有异议",
    "处理投诉回访，客户满意", "拜访信息中心主任，了解明年信息化预算", "参加客户年会，与分管领导交流",
]  # fmt: skip
OBJECTIVES = ["续约沟通", "新业务推介", "方案演示", "满意度回访", "了解需求", "高层拜访"]
METHODS = ["on_site", "on_site", "on_site", "phone", "video", "event"]


def generate(scale: str, seed: int, stdout: Any) -> None:
    if VisitLog.objects.exists() or VisitPlan.objects.exists():
        stdout.write("visits demo: visits already present, skipped")
        return
    rng = random.Random(seed + 505)
    now = timezone.now()
    managers: dict[int, int] = {}
    for cid, sid in TeamAssignment.objects.filter(
        team_role__in=["cm_senior", "cm_mid", "cm_junior", "phone_manager"]
    ).values_list("customer_id", "staff_id"):
        managers.setdefault(cid, sid)
    fallback = User.objects.filter(role=Role.ADMIN).values_list("id", flat=True).first()
    if fallback is None:
        return
    logs: list[tuple[Any, ...]] = []
    plans: list[tuple[Any, ...]] = []
    for cid, tier in Customer.objects.values_list("id", "tier").order_by("id"):
        mid = managers.get(cid, fallback)
        mean = VISITS.get(tier or "", 0.3)
        count = int(mean) + (1 if rng.random() < mean - int(mean) else 0)
        # One customer in six goes unvisited for a while (the overdue list has something to show).
        horizon = 200 if rng.random() < 1 / 6 else 120
        for _ in range(count):
            at = now - dt.timedelta(days=rng.uniform(1, horizon), hours=rng.randint(0, 8))
            logs.append((cid, mid, at, rng.choice(METHODS), rng.choice(SUMMARIES), mid, now))
        if rng.random() < PLANNED.get(tier or "", 0.02):
            day = (now + dt.timedelta(days=rng.randint(0, 30))).replace(hour=rng.choice([9, 10, 14, 15]), minute=0)
            plans.append((cid, mid, day, rng.choice(METHODS), rng.choice(OBJECTIVES)))
    with transaction.atomic():
        key, first = reserve_block("BF", max(1, len(plans)))
        plan_rows = [
            (f"{key}-{first + n:06d}", cid, mid, at, 60, method, "", objective, "", "", "planned", mid, now)
            for n, (cid, mid, at, method, objective) in enumerate(plans)
        ]
        sink.write(
            VisitPlan,
            ("number", "customer_id", "manager_id", "planned_at", "duration_minutes", "method", "situation",
             "objectives", "visit_points", "cautions", "status", "created_by_id", "created_at"),
            iter(plan_rows),
        )  # fmt: skip
        sink.write(
            VisitLog,
            ("customer_id", "manager_id", "visited_at", "method", "summary", "created_by_id", "created_at"),
            iter(logs),
        )
    stdout.write(f"visits demo: {len(logs)} visit logs, {len(plans)} planned visits")
