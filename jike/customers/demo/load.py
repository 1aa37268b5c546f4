"""Orchestrates a demo load: org and staff, customers, tiers, teams, members, key persons, events."""

from __future__ import annotations

import datetime as dt
import importlib
import random
import time
from collections import Counter
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from jike.core import audit
from jike.core.models import AuditLog
from jike.customers.demo import geo, names, rows, sink
from jike.customers.demo.plan import SCALES, Planner
from jike.customers.demo.scoring import Rules
from jike.customers.demo.staff import DEMO_PASSWORD, build_org, build_staff
from jike.customers.models import (
    AttitudeChange,
    Customer,
    KeyEvent,
    KeyPerson,
    Member,
    TeamAssignment,
    TierChange,
)

LOADED_MODELS: list[Any] = [Customer, TierChange, TeamAssignment, Member, KeyPerson, AttitudeChange, KeyEvent]
EXTRA_GENERATORS = (
    "jike.catalog.demo", "jike.sales.demo", "jike.planning.demo", "jike.visits.demo", "jike.gateway.demo",
)  # fmt: skip


class AlreadyLoaded(Exception):
    pass


def wipe() -> None:
    """Remove the business data: customers and everything hanging off them, and the audit log.
    Org units and staff are kept and updated in place (other records may point at them)."""
    if sink.is_postgres():
        tables = ", ".join(m._meta.db_table for m in [*LOADED_MODELS, AuditLog])
        with connection.cursor() as cursor:
            # Fire deferred FK checks of this transaction first: TRUNCATE refuses pending triggers.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            # CASCADE also empties other apps' tables that reference customers (their demo data).
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        return
    Customer.objects.update(parent=None)  # parent is PROTECT: unlink the hierarchy first
    Customer.objects.all().delete()
    AuditLog.objects.all().delete()


def _pools(seed: int) -> tuple[list[str], list[str]]:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    person_names = sorted({fake.name() for _ in range(6000)})
    streets = list(names.STREETS)
    rng = random.Random(seed)
    rng.shuffle(person_names)
    rng.shuffle(streets)
    return person_names, streets


def load(
    scale: str, seed: int = 2025, reset: bool = False, as_of: dt.date | None = None, out: Any = None
) -> dict[str, Any]:
    """Build the demo province. Returns the counts written (also recorded in the audit log)."""
    spec = SCALES[scale]
    as_of = as_of or timezone.localdate()
    t0 = time.monotonic()

    def say(msg: str) -> None:
        if out is not None:
            out.write(f"[{time.monotonic() - t0:6.1f}s] {msg}\n")
            out.flush()

    with transaction.atomic():
        if reset:
            wipe()
            say("wiped business data")
        elif Customer.objects.exists():
            raise AlreadyLoaded(f"{Customer.objects.count()} customers already exist; use --reset to reload")
        rng = random.Random(seed)
        person_names, streets = _pools(seed)
        org = build_org()
        staff = build_staff(org, rng, person_names)
        say(f"org: 1 province, {len(org.cities)} cities, {sum(map(len, org.counties.values()))} counties, "
            f"{sum(map(len, org.grids.values()))} grids; {staff.count} staff")  # fmt: skip
        planner = Planner(org, spec, rng, person_names, streets, as_of)
        customers = planner.plan()
        rules = Rules()
        for c in customers:
            c.score, c.grade, c.tier, _ = rules.score(c)
        team = rows.assign_teams(customers, staff, rng)
        cm_of = {cid: sid for cid, role, sid in team if role.startswith("cm_") or role == "phone_manager"}
        people = rows.People(rng, person_names, as_of, first_free_msisdn=sum(c.m_rows for c in customers))
        for c in customers:
            people.add(c, cm_of.get(c.id))
        say(f"planned {len(customers)} customers")
        counts: dict[str, Any] = {"scale": scale, "seed": seed, "as_of": as_of.isoformat()}
        counts["customers"] = sink.write(Customer, rows.CUSTOMER_COLUMNS, rows.customer_rows(customers))
        counts["tier_changes"] = sink.write(TierChange, rows.TIER_COLUMNS, rows.tier_rows(customers, rules))
        counts["team_assignments"] = sink.write(TeamAssignment, rows.TEAM_COLUMNS, rows.team_rows(team, customers))
        say(f"wrote {counts['customers']} customers, tiers and {counts['team_assignments']} team assignments")
        counts["members"] = sink.write(
            Member, rows.MEMBER_COLUMNS, rows.member_rows(customers, people.linked, person_names, as_of)
        )
        say(f"wrote {counts['members']} members")
        counts["key_persons"] = sink.write(KeyPerson, rows.KEY_PERSON_COLUMNS, people.key_persons)
        counts["attitude_changes"] = sink.write(AttitudeChange, rows.ATTITUDE_COLUMNS, people.attitudes)
        counts["key_events"] = sink.write(KeyEvent, rows.EVENT_COLUMNS, people.events)
        counts["staff"] = staff.count
        counts["tiers"] = dict(sorted(Counter(c.tier for c in customers).items()))
        counts["active_members"] = sum(c.member_count for c in customers)
        counts["unified_members"] = sum(c.unified_member_count for c in customers)
        sink.reset_sequences(LOADED_MODELS)
        audit.record(None, "demo.load", org.province, {"counts": counts})
    say(f"wrote {counts['key_persons']} key persons, {counts['key_events']} key events; committed")
    if sink.is_postgres():
        sink.analyze(LOADED_MODELS)
        say("analyzed")
    counts["seconds"] = round(time.monotonic() - t0, 1)
    return counts


def run_extra_generators(scale: str, seed: int, stdout: Any) -> list[str]:
    """Other apps add their demo data after the customers exist (skipped if not written yet)."""
    ran = []
    for name in EXTRA_GENERATORS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        module.generate(scale=scale, seed=seed, stdout=stdout)
        ran.append(name)
    return ran


def logins() -> list[tuple[str, str]]:
    out = [("admin", "系统管理员 / administrator"), ("province", "省集团客户部经理 / province manager")]
    out += [(f"cm-{c.pinyin}-1", f"{c.name}市客户经理 / customer manager, {c.pinyin.title()}") for c in geo.CITIES]
    return out


__all__ = ["DEMO_PASSWORD", "SCALES", "AlreadyLoaded", "load", "logins", "run_extra_generators", "wipe"]
