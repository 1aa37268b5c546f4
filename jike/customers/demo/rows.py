"""Rows of every table the demo writes, as (column tuple, row iterator) pairs.

Rows carry explicit ids (the tables are empty when loading), so dependants can reference them
without reading back; member rows are regenerated from each customer's seed while streaming.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

from jike.customers.demo import names
from jike.customers.demo.codes import msisdn
from jike.customers.demo.plan import Cust
from jike.customers.demo.scoring import Rules
from jike.customers.demo.staff import Staff

CUSTOMER_COLUMNS = (
    "id", "credit_code", "name", "short_name", "industry", "ownership", "address", "addr_province", "addr_city",
    "addr_district", "city_id", "county_id", "grid_id", "org_path", "legal_representative", "main_business",
    "employees", "registered_capital", "monthly_spend", "payment_ability", "parent_id", "status", "agreement_start",
    "agreement_end", "decision_process", "strategic", "industry_influence", "tier", "grade", "member_count",
    "unified_member_count", "created_at", "updated_at",
)  # fmt: skip
MEMBER_COLUMNS = (
    "id", "customer_id", "msisdn", "name", "department", "is_key_person", "join_date", "leave_date", "status",
    "payment_mode", "unit_share",
)  # fmt: skip
KEY_PERSON_COLUMNS = (
    "id", "customer_id", "name", "title", "department", "decision_role", "influence", "attitude", "mobile", "notes", "active",
)  # fmt: skip
ATTITUDE_COLUMNS = ("id", "key_person_id", "before", "after", "at", "actor_id", "note")
EVENT_COLUMNS = ("id", "customer_id", "date", "category", "title", "description")
TEAM_COLUMNS = ("id", "customer_id", "staff_id", "team_role", "assigned_at")
TIER_COLUMNS = (
    "id", "customer_id", "scorecard_id", "from_grade", "to_grade", "to_tier", "score", "explanation", "reason", "at", "actor_id",
)  # fmt: skip

# Key persons per tier (min, max); C-class groups often have none on file.
KEY_PERSONS = {"A": (4, 6), "B": (2, 4), "C": (0, 2)}
EVENTS = {"A": (3, 6), "B": (1, 3), "C": (0, 1)}
ATTITUDES = ("A", "B", "C", "D", "E")
ATTITUDE_WEIGHTS = (10, 30, 35, 18, 7)
SPLIT_SHARES = (30, 50, 60, 70, 80)


def _departments(industry: str) -> tuple[str, ...]:
    return names.DEPARTMENTS.get(industry, names.DEPARTMENTS["default"])


def _titles(industry: str) -> tuple[tuple[str, str, str], ...]:
    return names.KEY_TITLES.get(industry, names.KEY_TITLES["default"])


def assign_teams(customers: list[Cust], staff: Staff, rng: random.Random) -> list[tuple[int, str, int]]:
    """Service team per tier (DOMAIN.md section 3), from staff of the customer's grid, county, city.

    A: chief rep + senior CM + industry manager + sales engineer; B: mid CM + industry manager +
    sales engineer; C: junior CM or a phone manager.
    """
    team: list[tuple[int, str, int]] = []
    b_per_city = Counter(c.city.code for c in customers if c.tier == "B")
    # Half the B-class groups, or all of them in a small city, so every demo login has a portfolio.
    demo_share = {code: max(0.5, min(1.0, 25 / n)) for code, n in b_per_city.items()}
    for c in customers:
        local = (c.grid.pk, c.county.pk, c.city_unit_id)
        city = (c.city_unit_id,)
        slots: list[tuple[str, tuple[str, ...], tuple[int, ...]]]
        if c.tier == "A":
            slots = [
                ("chief_rep", ("chief_rep",), city),
                ("cm_senior", ("cm_senior",), local),
                ("industry_manager", ("industry_manager",), city),
                ("sales_engineer", ("sales_engineer",), city),
            ]
        elif c.tier == "B":
            slots = [
                ("cm_mid", ("cm_mid", "cm_senior"), local),
                ("industry_manager", ("industry_manager",), city),
                ("sales_engineer", ("sales_engineer",), city),
            ]
        elif float(c.monthly_spend) < 500 and rng.random() < 0.35:
            slots = [("phone_manager", ("phone_manager",), (c.county.pk, c.city_unit_id))]
        else:
            slots = [("cm_junior", ("cm_junior", "phone_manager"), local)]
        for team_role, roles, units in slots:
            if team_role == "cm_mid" and rng.random() < demo_share[c.city.code]:
                staff_id: int | None = staff.demo_cm[c.city.code]
            else:
                staff_id = staff.pick(rng, roles, units)
            if staff_id is not None:
                team.append((c.id, team_role, staff_id))
    return team


def customer_rows(customers: list[Cust]) -> Iterator[tuple[Any, ...]]:
    for c in customers:
        yield (
            c.id, c.credit_code, c.name, c.short_name, c.industry, c.ownership, c.address, "安徽省", f"{c.city_name}市",
            c.addr_district, c.city_unit_id, c.county.pk, c.grid.pk, c.grid.path, c.legal_representative,
            c.main_business, c.employees, c.registered_capital, c.monthly_spend, c.payment_ability, c.parent_id,
            c.status, c.agreement_start, c.agreement_end, c.decision_process, c.strategic, c.industry_influence,
            c.tier, c.grade, c.member_count, c.unified_member_count, c.created_at, c.created_at,
        )  # fmt: skip


def tier_rows(customers: list[Cust], rules: Rules) -> Iterator[tuple[Any, ...]]:
    for c in customers:
        score, grade, tier, explanation = rules.score(c)
        yield (
            c.id,
            c.id,
            rules.scorecard_id,
            "",
            grade,
            tier,
            score,
            explanation,
            "演示数据初始定级",
            c.created_at,
            None,
        )


def team_rows(team: list[tuple[int, str, int]], customers: list[Cust]) -> Iterator[tuple[Any, ...]]:
    for i, (customer_id, role, staff_id) in enumerate(team, start=1):
        yield (i, customer_id, staff_id, role, customers[customer_id - 1].created_at)


class People:
    """Key persons, their attitude history and key events, drawn per customer after members are planned."""

    def __init__(self, rng: random.Random, person_names: list[str], as_of: dt.date, first_free_msisdn: int) -> None:
        self.rng, self.person_names, self.as_of = rng, person_names, as_of
        self.next_msisdn = first_free_msisdn
        self.key_persons: list[tuple[Any, ...]] = []
        self.attitudes: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        # customer id -> [(name, department)] of key persons who are also members (rows 0..n-1)
        self.linked: dict[int, list[tuple[str, str]]] = {}

    def add(self, c: Cust, cm_id: int | None) -> None:
        r = self.rng
        lo, hi = KEY_PERSONS[c.tier or "C"]
        n = max(1 if c.status == "prospect" else 0, r.randint(lo, hi))
        titles, depts = _titles(c.industry), _departments(c.industry)
        linkable = c.m_rows - c.m_left if c.status != "lost" else 0
        linked: list[tuple[str, str]] = []
        when = dt.datetime.combine(self.as_of, dt.time(10), dt.UTC)
        for j in range(n):
            title, role, influence = titles[j] if j < len(titles) else r.choice(titles)
            name = self.person_names[r.randrange(len(self.person_names))]
            dept = "领导班子" if role == "economic" else r.choice(depts)
            if j < linkable:
                mobile = msisdn(c.m_base + j)
                linked.append((name, dept))
            else:
                mobile = msisdn(self.next_msisdn)
                self.next_msisdn += 1
            attitude = r.choices(ATTITUDES, ATTITUDE_WEIGHTS)[0]
            kp_id = len(self.key_persons) + 1
            self.key_persons.append((kp_id, c.id, name, title, dept, role, influence, attitude, mobile, "", True))
            if r.random() < 0.35:  # tracked over time: was C, now B
                idx = ATTITUDES.index(attitude)
                was = ATTITUDES[min(4, max(0, idx + r.choice((-1, 1, 1))))]
                t0 = when - dt.timedelta(days=r.randint(200, 700))
                t1 = when - dt.timedelta(days=r.randint(5, 199))
                self.attitudes.append((len(self.attitudes) + 1, kp_id, "", was, t0, cm_id, "首次评估"))
                if was != attitude:
                    self.attitudes.append((len(self.attitudes) + 1, kp_id, was, attitude, t1, cm_id, "走访后更新"))
        self.linked[c.id] = linked
        if c.tier in ("A", "B") and n:
            eco = next((t for t, role, _ in titles if role == "economic"), "负责人")
            tech = next((t for t, role, _ in titles if role == "technical"), "技术负责人")
            coach = next((t for t, role, _ in titles if role == "coach"), "办公室主任")
            c.decision_process = r.choice(names.DECISION_PROCESS).format(eco=eco, tech=tech, coach=coach)
        lo, hi = EVENTS[c.tier or "C"]
        k = r.randint(lo, hi) if c.status != "prospect" else 0
        start = c.agreement_start or self.as_of - dt.timedelta(days=365)
        span = max(1, (self.as_of - start).days)
        for _ in range(k):
            category = r.choice(tuple(names.EVENTS))
            title = r.choice(names.EVENTS[category]).format(p=r.choice(names.PRODUCTS))
            date = start + dt.timedelta(days=r.randrange(span))
            self.events.append((len(self.events) + 1, c.id, date, category, title, ""))


def member_rows(
    customers: list[Cust], linked: dict[int, list[tuple[str, str]]], person_names: list[str], as_of: dt.date
) -> Iterator[tuple[Any, ...]]:
    """Members of every customer, regenerated from the per-customer seed (exact planned counts)."""
    today = as_of.toordinal()
    n_names = len(person_names)
    for c in customers:
        k = c.m_rows
        if not k:
            continue
        r = random.Random(c.m_seed)
        kp = linked.get(c.id, [])
        n_kp = len(kp)
        rest = ["left"] * c.m_left + ["suspended"] * c.m_susp
        rest += ["active"] * (k - n_kp - len(rest))
        r.shuffle(rest)
        statuses = ["active"] * n_kp + rest
        staying = [j for j in range(k) if statuses[j] != "left"]
        pay = ["unified"] * c.m_unified + ["split"] * c.m_split
        pay += ["personal"] * (len(staying) - len(pay))
        r.shuffle(pay)
        modes = ["personal"] * k
        for j, mode in zip(staying, pay, strict=True):
            modes[j] = mode
        depts = _departments(c.industry)
        first = (c.agreement_start.toordinal() if c.agreement_start else today - 900) - 400
        span = max(1, today - first)
        for j in range(k):
            join = first + int(span * r.random())
            status, mode = statuses[j], modes[j]
            if j < n_kp:
                name, dept = kp[j]
            else:
                name, dept = person_names[int(n_names * r.random())], depts[int(len(depts) * r.random())]
            leave = dt.date.fromordinal(join + int((today - join) * r.random())) if status == "left" else None
            yield (
                c.m_base + j + 1, c.id, msisdn(c.m_base + j), name, dept, j < n_kp, dt.date.fromordinal(join), leave,
                status, mode, SPLIT_SHARES[int(5 * r.random())] if mode == "split" else None,
            )  # fmt: skip
