"""The demo province: loads, is deterministic, valid and calibrated to DOMAIN.md section 11."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from stdnum.cn import uscc

from jike.core.models import AuditLog, OrgLevel, OrgUnit, User
from jike.core.roles import CUSTOMER_MANAGER_ROLES, Role
from jike.customers.demo import geo
from jike.customers.demo.codes import credit_code, msisdn
from jike.customers.demo.load import load
from jike.customers.models import Customer, KeyPerson, Member, TeamAssignment, TierChange
from jike.customers.validators import is_valid_mobile

AS_OF = dt.date(2025, 6, 30)
pytestmark = pytest.mark.django_db


def _load(seed: int = 11, reset: bool = False) -> dict:
    return load("tiny", seed=seed, reset=reset, as_of=AS_OF)


def _fingerprint() -> list[tuple[str, str, str, int]]:
    return list(Customer.objects.order_by("id").values_list("credit_code", "name", "grade", "member_count"))


def test_identifier_generators_are_valid_and_unique():
    codes = [
        credit_code(kind, "340104", n) for kind in ("organ", "institution", "enterprise", "coop") for n in range(3000)
    ]
    assert len(set(codes)) == len(codes)
    assert all(uscc.is_valid(c) for c in codes)
    numbers = [msisdn(i) for i in range(200_000)]
    assert len(set(numbers)) == len(numbers)
    assert all(is_valid_mobile(n) for n in numbers[:5000])


def test_org_tree_is_anhui_with_real_division_codes():
    _load()
    cities = OrgUnit.objects.filter(level=OrgLevel.CITY)
    assert cities.count() == 16
    assert cities.get(code="3401").name == "合肥市公司"
    assert OrgUnit.objects.get(code="340104").name == "蜀山区公司"  # Hefei's Shushan district
    assert OrgUnit.objects.get(code="341302").parent.code == "3413"  # Yongqiao district of Suzhou
    assert OrgUnit.objects.filter(level=OrgLevel.COUNTY).count() == 104
    for grid in OrgUnit.objects.filter(level=OrgLevel.GRID).select_related("parent__parent"):
        assert grid.path == f"34/{grid.parent.parent.code}/{grid.parent.code}/{grid.code}/"


def test_demo_users_exist_with_the_demo_password_and_roles():
    _load()
    admin = User.objects.get(username="admin")
    assert User.objects.get(username="cm-maanshan-1").password == admin.password  # one hash for all
    assert admin.is_superuser and admin.role == Role.ADMIN and admin.check_password("jike-demo")
    province = User.objects.get(username="province")
    assert province.role == Role.PROVINCE_MANAGER and province.org_unit.level == OrgLevel.PROVINCE
    assert not province.check_password("wrong")
    for city in geo.CITIES:
        cm = User.objects.select_related("org_unit").get(username=f"cm-{city.pinyin}-1")
        assert cm.role == Role.CM_MID
        assert cm.org_unit.path.startswith(f"34/{city.code}/") and cm.org_unit.level == OrgLevel.GRID
    assert User.objects.get(username="cm-luan-1").check_password("jike-demo")


def test_staff_is_calibrated_to_domain_figures():
    _load()
    roles = Counter(User.objects.exclude(username__startswith="t-").values_list("role", flat=True))
    assert 600 < sum(roles[r] for r in CUSTOMER_MANAGER_ROLES) < 900
    city_specialists = User.objects.filter(
        role__in=[Role.INDUSTRY_MANAGER, Role.SALES_ENGINEER], org_unit__level=OrgLevel.CITY
    ).count()
    assert 32 <= city_specialists < 100
    assert User.objects.filter(role=Role.INDUSTRY_MANAGER, org_unit__level=OrgLevel.PROVINCE).count() == 6
    assert roles[Role.CITY_MANAGER] == 16 and roles[Role.COUNTY_LEAD] == 104
    assert roles[Role.CM_JUNIOR] > roles[Role.CM_MID] > roles[Role.CM_SENIOR] > 0


def test_each_city_customer_manager_sees_customers_of_his_city_only():
    _load()
    for city in geo.CITIES:
        cm = User.objects.get(username=f"cm-{city.pinyin}-1")
        visible = Customer.objects.restrict(cm)
        assert visible.count() >= 2, city.name
        assert not visible.exclude(city__code=city.code).exists()
    assert Customer.objects.restrict(User.objects.get(username="province")).count() == Customer.objects.count()


def test_credit_codes_valid_unique_and_in_the_customers_county():
    counts = _load()
    assert 300 <= counts["customers"] == Customer.objects.count()
    rows = list(Customer.objects.select_related("county").values_list("credit_code", "county__code"))
    assert len({code for code, _ in rows}) == len(rows)
    for code, county in rows:
        assert uscc.is_valid(code), code
        assert code[2:8] == county  # region part of the code is the registering county


def test_member_counts_and_constraints_are_consistent():
    counts = _load()
    assert Member.objects.count() == counts["members"] > 5000
    actual = {
        row["customer_id"]: (row["n"], row["u"])
        for row in Member.objects.exclude(status="left")
        .values("customer_id")
        .annotate(n=Count("id"), u=Count("id", filter=Q(payment_mode="unified")))
    }
    for c in Customer.objects.all():
        assert (c.member_count, c.unified_member_count) == actual.get(c.pk, (0, 0)), c.name
    assert set(Member.objects.values_list("payment_mode", flat=True).distinct()) == {"unified", "personal", "split"}
    assert not Member.objects.filter(payment_mode="split", unit_share__isnull=True).exists()
    assert not Member.objects.filter(status="left", leave_date__isnull=True).exists()
    assert Member.objects.values("msisdn").distinct().count() == Member.objects.count()
    # Model validation (validators included) holds for a sample of every generated record type.
    for obj in [
        *Customer.objects.order_by("?")[:60],
        *Member.objects.order_by("?")[:200],
        *KeyPerson.objects.all()[:100],
    ]:
        obj.full_clean()
    for c in Customer.objects.select_related("grid__parent__parent"):
        assert c.org_path == c.grid.path and c.county_id == c.grid.parent_id and c.city_id == c.grid.parent.parent_id
        assert c.addr_city == c.city.name.removesuffix("公司")
    prospects = Customer.objects.filter(status="prospect")
    assert prospects.exists() and not Member.objects.filter(customer__in=prospects).exists()
    assert not Customer.objects.filter(status="lost", member_count__gt=0).exists()


def test_tiers_teams_and_hierarchies():
    _load()
    from jike.customers import tiering  # the tiering service's own scoring must agree

    card = tiering.active_scorecard()
    for c in Customer.objects.order_by("?")[:80]:
        assert tiering.score(c, card).grade == c.grade, c.name
    assert TierChange.objects.count() == Customer.objects.count()
    tiers = Counter(Customer.objects.values_list("tier", flat=True))
    assert tiers["C"] > tiers["B"] > tiers["A"] > 0
    assert Customer.objects.filter(tier="A").order_by().values("monthly_spend").exists()
    slots = {
        "A": {"chief_rep", "cm_senior", "industry_manager", "sales_engineer"},
        "B": {"cm_mid", "industry_manager", "sales_engineer"},
    }
    team = {}
    for cid, role, staff_path in TeamAssignment.objects.values_list(
        "customer_id", "team_role", "staff__org_unit__path"
    ):
        team.setdefault(cid, []).append((role, staff_path))
    for c in Customer.objects.all():
        roles = {r for r, _ in team.get(c.pk, [])}
        if c.tier in slots:
            assert roles == slots[c.tier], c.name
        else:
            assert roles in ({"cm_junior"}, {"phone_manager"}), c.name
        city_path = "/".join(c.org_path.split("/")[:2]) + "/"
        assert all(path.startswith(city_path) for _, path in team[c.pk])  # staff of the customer's own city
    children = Customer.objects.filter(parent__isnull=False).select_related("parent")
    assert children.count() > 40
    assert children.filter(
        parent__name="中国工商银行股份有限公司安徽省分行", name="中国工商银行股份有限公司芜湖分行"
    ).exists()
    assert KeyPerson.objects.filter(customer__tier="A").values("customer").distinct().count() == tiers["A"]
    assert KeyPerson.objects.filter(attitude_history__isnull=False).exists()


def test_same_seed_same_data_other_seed_other_data_and_reset():
    _load(seed=5)
    first = _fingerprint()
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo-data", "--scale", "tiny", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo-data", "--scale", "tiny", "--if-empty", stdout=out)
    assert "nothing to do" in out.getvalue()
    _load(seed=5, reset=True)
    assert _fingerprint() == first
    assert User.objects.filter(username="cm-hefei-1").count() == 1
    _load(seed=6, reset=True)
    other = _fingerprint()
    assert len(other) > 300 and other != first
    assert len({c for c, *_ in other} & {c for c, *_ in first}) < len(first)
    log = AuditLog.objects.get(action="demo.load")  # reset wipes the previous run's entries
    assert log.changes["counts"]["seed"] == 6 and log.changes["counts"]["customers"] == len(other)


def test_command_prints_logins():
    out = io.StringIO()
    call_command("demo-data", "--scale", "tiny", "--as-of", "2025-06-30", stdout=out)
    text = out.getvalue()
    assert "demo loaded" in text and "cm-xuancheng-1" in text and "jike-demo" in text
