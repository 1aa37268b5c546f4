from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog
from jike.core.testing import credit_code
from jike.customers import services
from jike.customers.models import AttitudeChange, Customer, Member, TeamAssignment
from jike.customers.validators import validate_credit_code

pytestmark = pytest.mark.django_db


def test_credit_code_check_digit():
    good = credit_code(42)
    validate_credit_code(good)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError, match="校验位"):
        validate_credit_code(bad)
    with pytest.raises(ValidationError):
        validate_credit_code("123")


def test_create_customer_places_it_and_audits(world):
    c = world.customer(address="安徽省合肥市蜀山区长江西路100号")
    assert c.city == world.hefei and c.county == world.hefei_county
    assert c.org_path == world.hefei_grid.path
    assert (c.addr_province, c.addr_city, c.addr_district) == ("安徽省", "合肥市", "蜀山区")
    log = AuditLog.objects.get(action="customer.create", object_id=str(c.pk))
    assert log.actor == world.users["admin"]
    assert log.changes["name"] == [None, c.name]


def test_create_rejects_bad_credit_code_and_keeps_nothing(world):
    customers, audits = Customer.objects.count(), AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        world.customer(credit_code="91340100MA0000001X")
    assert "credit_code" in exc.value.message_dict
    assert (Customer.objects.count(), AuditLog.objects.count()) == (customers, audits)


def test_update_records_before_and_after(world):
    c = world.customer(monthly_spend=Decimal("1000"))
    services.update_customer(world.users["hefei_city"], c, monthly_spend=Decimal("3500.50"), short_name="新简称")
    log = AuditLog.objects.filter(action="customer.update", object_id=str(c.pk)).get()
    assert log.changes["monthly_spend"] == ["1000.00", "3500.50"]
    assert log.changes["short_name"] == ["", "新简称"]
    # an update that changes nothing writes no audit row
    services.update_customer(world.users["hefei_city"], c, short_name="新简称")
    assert AuditLog.objects.filter(action="customer.update", object_id=str(c.pk)).count() == 1


def test_agreement_dates_must_be_ordered(world):
    c = world.customer()
    with pytest.raises(ValidationError):
        services.update_customer(None, c, agreement_start="2026-05-01", agreement_end="2026-01-01")


def test_hierarchy_cycle_refused_and_rollup(world):
    hq = world.customer(monthly_spend=Decimal("10000"))
    branch = world.customer(parent=hq, monthly_spend=Decimal("2000"))
    sub = world.customer(parent=branch, grid=world.wuhu_grid, monthly_spend=Decimal("500"))
    services.add_member(None, sub, msisdn="13800000001", payment_mode="unified")
    services.add_member(None, branch, msisdn="13800000002")
    with pytest.raises(ValidationError, match="循环"):
        services.update_customer(None, hq, parent=sub)
    r = services.rollup(hq)
    assert r == {"units": 3, "members": 2, "unified_members": 1, "monthly_spend": Decimal("12500.00")}


def test_descendants_at_any_depth_in_one_query(world, django_assert_num_queries):
    hq = world.customer()
    chain = [hq]
    for _ in range(4):
        chain.append(world.customer(parent=chain[-1]))
    sibling = world.customer(parent=hq)
    world.customer()  # unrelated
    with django_assert_num_queries(1):
        below = services.descendants(hq)
    assert below == sorted([c.pk for c in chain[1:]] + [sibling.pk])
    assert services.descendants(chain[2]) == [chain[3].pk, chain[4].pk]
    assert services.descendants(chain[-1]) == []


def test_ancestors_top_first_in_two_queries_and_bounded(world, django_assert_num_queries):
    chain = [world.customer()]
    for _ in range(4):
        chain.append(world.customer(parent=chain[-1]))
    with django_assert_num_queries(2):
        above = services.ancestors(chain[-1])
    assert [c.pk for c in above] == [c.pk for c in chain[:-1]]
    assert [c.pk for c in services.ancestors(chain[-1], limit=2)] == [chain[2].pk, chain[3].pk]
    assert services.ancestors(chain[0]) == []
    # Bad data (written past the services' cycle check) ends the chain instead of looping.
    Customer.objects.filter(pk=chain[0].pk).update(parent=chain[2])
    assert [c.pk for c in services.ancestors(chain[-1])] == [chain[0].pk, chain[1].pk, chain[2].pk, chain[3].pk]


def test_members_unique_and_split_needs_share(world):
    c = world.customer()
    services.add_member(None, c, msisdn="+86 139-0000-0001", payment_mode="split", unit_share=60)
    m = Member.objects.get(customer=c)
    assert m.msisdn == "13900000001" and m.unit_share == 60
    with pytest.raises(ValidationError):
        services.add_member(None, c, msisdn="13900000001")
    with pytest.raises(ValidationError):
        services.add_member(None, c, msisdn="12345")
    with pytest.raises((ValidationError, IntegrityError)):
        services.add_member(None, c, msisdn="13900000002", payment_mode="split")
    c.refresh_from_db()
    assert c.member_count == 1


def test_member_counts_follow_status(world):
    c = world.customer()
    a = services.add_member(None, c, msisdn="13900000011", payment_mode="unified")
    services.add_member(None, c, msisdn="13900000012")
    c.refresh_from_db()
    assert (c.member_count, c.unified_member_count) == (2, 1)
    services.update_member(None, a, status="left", leave_date="2026-10-01")
    c.refresh_from_db()
    assert (c.member_count, c.unified_member_count) == (1, 0)


def test_attitude_history_kept(world):
    c = world.customer()
    cm = world.users["hefei_cm"]
    p = services.add_key_person(cm, c, name="王主任", attitude="C", decision_role="economic", influence="high")
    services.update_key_person(cm, p, attitude="B", note="拜访后转为支持")
    services.update_key_person(cm, p, title="副局长")  # no attitude change, no history row
    hist = list(AttitudeChange.objects.filter(key_person=p).order_by("at", "id").values_list("before", "after", "note"))
    assert hist == [("", "C", "建档"), ("C", "B", "拜访后转为支持")]


def test_open_customer_file_scope_and_team(world):
    cm = world.users["hefei_cm"]
    c = services.open_customer_file(cm, credit_code=credit_code(777), name="新客户", grid=world.hefei_grid)
    assert TeamAssignment.objects.filter(customer=c, staff=cm, team_role="cm_mid").exists()
    with pytest.raises(BusinessRuleError):
        services.open_customer_file(cm, credit_code=credit_code(778), name="外市客户", grid=world.wuhu_grid)
    with pytest.raises(BusinessRuleError):
        services.open_customer_file(world.users["analyst"], credit_code=credit_code(779), name="x", city=world.hefei)
