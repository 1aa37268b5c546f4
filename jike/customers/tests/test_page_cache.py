"""The customer 360 page's cache: hits, invalidation by every service write, scope, masking, CSRF.

The page's data version is read from the audit trail (jike.core.cache.subject_version), which the
test transaction sees like any reader sees committed data. Writes still run as committed blocks
(on-commit callbacks executed) so that nothing depends on a commit that never happens in tests.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jike.catalog import services as catalog
from jike.catalog.models import Product
from jike.core.testing import client_for
from jike.customers import services
from jike.customers.models import TeamAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block as a committed write (its on-commit callbacks execute at the end)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def hefei(world, committed):
    with committed():
        customer = world.customer(name="合肥星河科技有限公司", short_name="星河科技", monthly_spend=Decimal("12000"))
        TeamAssignment.objects.create(customer=customer, staff=world.users["hefei_cm"], team_role="cm_mid")
        services.add_key_person(world.users["admin"], customer, name="王总", attitude="C", mobile="13912345678")
    return customer


def page(client: Client, customer) -> tuple[str, int]:
    """The 360 page as a browser gets it: the document, then the panels it loads (HTMX)."""
    html, count = [], 0
    for name in ("customers:detail", "customers:panels"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name, args=[customer.pk]))
        assert response.status_code == 200
        html.append(response.content.decode())
        count += len(queries)
    assert f'hx-get="{reverse("customers:panels", args=[customer.pk])}"' in html[0]
    return "".join(html), count


def test_second_view_is_served_from_the_cache(world, hefei):
    client = client_for(world.users["hefei_city"])
    first, cold = page(client, hefei)
    second, warm = page(client, hefei)
    assert warm < cold - 8, (cold, warm)  # sections and panels no longer query
    assert "王总" in second
    strip = re.compile(r'value="[^"]{64}"|"X-CSRFToken": "[^"]{64}"')
    assert strip.sub("", first) == strip.sub("", second)


def test_service_writes_show_at_once(world, hefei, committed):
    admin = world.users["admin"]
    client = client_for(world.users["hefei_city"])
    page(client, hefei)
    page(client, hefei)  # cached now
    with committed():
        services.update_customer(admin, hefei, name="合肥星河科技集团有限公司")
    body, _ = page(client, hefei)
    assert "合肥星河科技集团有限公司" in body
    assert "修改客户档案" in body  # the history section was re-rendered
    with committed():
        person = services.add_key_person(admin, hefei, name="李处长", attitude="B")
    assert "李处长" in page(client, hefei)[0]
    with committed():
        services.update_key_person(admin, person, title="采购处处长", note="新任")
    assert "采购处处长" in page(client, hefei)[0]
    with committed():
        services.add_key_event(admin, hefei, date=dt.date(2026, 1, 5), title="签订五年框架协议")
    assert "签订五年框架协议" in page(client, hefei)[0]
    with committed():
        catalog.add_holding(admin, hefei, product=Product.objects.get(code="DIA"), quantity=2,
                            monthly_revenue=Decimal("800"))  # fmt: skip
    assert Product.objects.get(code="DIA").name in page(client, hefei)[0]


def test_a_subsidiary_write_refreshes_the_group_roll_up(world, hefei, committed):
    admin = world.users["admin"]
    with committed():
        branch = world.customer(name="星河科技芜湖分公司", parent=hefei)
    client = client_for(world.users["province"])
    page(client, hefei)
    before, _ = page(client, hefei)
    assert "VPMN" not in before and Product.objects.get(code="VPMN").name not in before
    with committed():
        catalog.add_holding(admin, branch, product=Product.objects.get(code="VPMN"), quantity=40,
                            monthly_revenue=Decimal("400"))  # fmt: skip
    after, _ = page(client, hefei)  # the holdings panel's group roll-up counts the branch
    assert Product.objects.get(code="VPMN").name in after


def test_a_write_and_the_next_read_in_one_transaction(world, hefei):
    client = client_for(world.users["hefei_city"])
    page(client, hefei)
    page(client, hefei)
    services.add_key_person(world.users["admin"], hefei, name="赵科长", attitude="A")  # no on-commit callbacks
    assert "赵科长" in page(client, hefei)[0]


def test_scope_is_checked_before_the_cache(world, hefei):
    page(client_for(world.users["province"]), hefei)
    page(client_for(world.users["province"]), hefei)
    for outsider in ("wuhu_city", "wuhu_cm", "hefei_cm_other"):
        for name in ("customers:detail", "customers:panels"):
            response = client_for(world.users[outsider]).get(reverse(name, args=[hefei.pk]))
            assert response.status_code == 404, (outsider, name)


def test_cached_html_is_per_mask_and_edit_rights(world, hefei):
    # The admin and the analyst share the province-wide scope; only the admin sees phone numbers
    # and may edit, so they must not share cached sections.
    admin, _ = page(client_for(world.users["admin"]), hefei)
    assert "13912345678" in admin and 'id="edit-customer"' in admin and "/key-persons/" in admin
    analyst_client = client_for(world.users["analyst"])
    for _ in range(2):
        analyst, _ = page(analyst_client, hefei)
        assert "139****5678" in analyst and "13912345678" not in analyst
        assert "/key-persons/" not in analyst
    admin_again, _ = page(client_for(world.users["admin"]), hefei)
    assert "13912345678" in admin_again


def test_cached_panels_carry_the_viewers_csrf_token(world, hefei, committed):
    with committed():
        catalog.add_holding(world.users["admin"], hefei, product=Product.objects.get(code="DIA"), quantity=1,
                            monthly_revenue=Decimal("100"), start=dt.date.today() - dt.timedelta(days=3))  # fmt: skip
    page(client_for(world.users["hefei_city"]), hefei)  # fills the cache with this user's form
    other = Client(enforce_csrf_checks=True)
    other.force_login(world.users["hefei_city"])
    other.get(reverse("customers:list"))  # sets the CSRF cookie
    body, _ = page(other, hefei)
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', body)
    assert tokens, "the holdings panel has an end-holding form"
    assert "__jike_csrf__" not in body
    for token in set(tokens):  # each form's token is accepted for this user's session
        response = other.post(reverse("set_language"), {"language": "zh-hans", "csrfmiddlewaretoken": token})
        assert response.status_code == 302, token


def test_language_is_part_of_the_key(world, hefei):
    client = client_for(world.users["hefei_city"])
    zh, _ = page(client, hefei)
    client.cookies["django_language"] = "en"
    en, _ = page(client, hefei)
    assert '<h3 class="card-title">关键人</h3>' in zh
    assert '<h3 class="card-title">Key person</h3>' in en
