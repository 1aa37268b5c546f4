from __future__ import annotations

import pytest
from django.test import RequestFactory

from jike.catalog.models import Holding, Product
from jike.catalog.views import holdings_panel
from jike.core.testing import client_for
from jike.customers.models import TeamAssignment

pytestmark = pytest.mark.django_db


def test_catalog_browse_filter_and_detail(world):
    c = client_for(world.users["wuhu_cm"])
    r = c.get("/catalog/", {"platform": "industry_app"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "校讯通" in html and "移动总机" not in html
    vpmn = Product.objects.get(code="VPMN")
    html = c.get(f"/catalog/{vpmn.pk}/").content.decode()
    assert "元/号码/月" in html and 'id="quote-form"' in html
    r = c.get(f"/catalog/{vpmn.pk}/quote/", {"quantity": 600, "charging_mode": "monthly"})
    assert 'id="quote-total">1800.00<' in r.content.decode()
    r = c.get(f"/catalog/{vpmn.pk}/quote/", {"quantity": 0})
    assert 'id="quote-error"' in r.content.decode()


def test_holding_form_and_panel(world):
    customer = world.customer()
    TeamAssignment.objects.create(customer=customer, staff=world.users["hefei_cm"], team_role="cm_mid")
    c = client_for(world.users["hefei_cm"])
    dia = Product.objects.get(code="DIA")
    r = c.post(f"/customers/{customer.pk}/holdings/add/", {"product": dia.pk, "quantity": 20, "start": "2025-01-01",
               "monthly_revenue": "1600", "payment_mode": "unified"})  # fmt: skip
    assert r.status_code == 302
    assert Holding.objects.filter(customer=customer, product=dia, quantity=20).exists()
    r = c.post(f"/customers/{customer.pk}/holdings/add/", {"product": dia.pk, "quantity": 1, "start": "2025-01-01",
               "end": "2024-01-01", "monthly_revenue": "1", "payment_mode": "unified"})  # fmt: skip
    assert r.status_code == 200 and "form-errors" in r.content.decode()
    assert Holding.objects.filter(customer=customer).count() == 1
    assert client_for(world.users["wuhu_cm"]).get(f"/customers/{customer.pk}/holdings/add/").status_code == 404
    request = RequestFactory().get("/")
    request.user = world.users["hefei_cm"]
    html = holdings_panel(request, customer)
    assert "互联网专线" in html and 'id="holding-add"' in html
    request.user = world.users["analyst"]
    assert 'id="holding-add"' not in holdings_panel(request, customer)


def test_catalog_in_english(world):
    c = client_for(world.users["province"])
    c.cookies["django_language"] = "en"
    html = c.get("/catalog/", {"platform": "voice"}).content.decode()
    assert "Product catalog" in html and "Launched" in html
