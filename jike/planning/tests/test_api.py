from __future__ import annotations

import io
import json

import pytest

from jike.core.models import ExportLog
from jike.core.testing import api, credit_code
from jike.customers.models import TeamAssignment
from jike.planning import services

from .helpers import ROWS, TEXT, fill

pytestmark = pytest.mark.django_db


def _json(rows):
    return json.loads(json.dumps(rows, default=str))


def _with_two_byte_codes(reader):
    """fpdf2 embeds the CFF-based Noto CJK font with its own 2-byte code->CID CMap stream as /Encoding;
    pypdf (7.x) does not read embedded encoding CMaps and falls back to 1-byte StandardEncoding, which
    splits every code in two. Declaring the codes 2-byte (Identity-H) lets pypdf decode them through the
    PDF's own ToUnicode map, which is what any viewer uses for copy/search."""
    from pypdf.generic import NameObject, StreamObject

    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font.get("/Subtype") == "/Type0" and isinstance(font["/Encoding"].get_object(), StreamObject):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    return reader


@pytest.fixture
def plan(world):
    customer = world.customer(name="合肥某医院")
    TeamAssignment.objects.create(customer=customer, staff=world.users["hefei_cm"], team_role="cm_mid")
    return services.create_plan(world.users["hefei_cm"], customer)


def test_other_city_and_other_team_see_nothing(world, plan):
    base = f"/api/v1/account-plans/{plan.pk}"
    for name in ["wuhu_cm", "wuhu_city", "wuhu_im", "hefei_cm_other"]:
        client = api(world.users[name])
        assert client.get("/api/v1/account-plans/").json()["count"] == 0, name
        assert client.get(f"{base}/").status_code == 404, name
        assert client.get(f"{base}/sites/").status_code == 404, name
        assert client.get(f"{base}/export.pdf/").status_code == 404, name
        assert client.post(f"{base}/submit/").status_code == 404, name
        r = client.post(f"{base}/sites/", {"address": "x"}, format="json")
        assert r.status_code == 404, name
    for name in ["hefei_cm", "hefei_city", "hefei_im", "province", "analyst"]:
        assert api(world.users[name]).get("/api/v1/account-plans/").json()["count"] == 1, name


def test_read_only_roles_cannot_write(world, plan):
    client = api(world.users["analyst"])
    r = client.patch(f"/api/v1/account-plans/{plan.pk}/", {"objective": "x"}, format="json")
    assert r.status_code == 403
    r = client.post("/api/v1/account-plans/", {"customer": plan.customer_id}, format="json")
    assert r.status_code == 403


def test_rows_crud_and_frozen_plan(world, plan):
    client = api(world.users["hefei_cm"])
    base = f"/api/v1/account-plans/{plan.pk}"
    r = client.post(f"{base}/buying-factors/", {"factor": "price", "weight": 60, "our_score": 3}, format="json")
    assert r.status_code == 201, r.content
    fid = r.json()["id"]
    r = client.post(f"{base}/buying-factors/", {"factor": "price", "weight": 40}, format="json")
    assert r.status_code == 400  # the same factor twice
    r = client.post(f"{base}/buying-factors/", {"factor": "brand", "weight": 40, "our_score": 9}, format="json")
    assert r.status_code == 400  # scores are 1-5
    assert client.patch(f"{base}/buying-factors/{fid}/", {"weight": 100}, format="json").json()["weight"] == 100
    assert len(client.get(f"{base}/buying-factors/").json()) == 1
    detail = client.get(f"{base}/").json()
    assert detail["can_edit"] and not detail["can_review"]
    assert "competitors" in {m["section"] for m in detail["missing"]}
    r = client.post(f"{base}/submit/")
    assert r.status_code == 409 and r.json()["code"] == "plan_incomplete" and r.json()["details"]["missing"]
    assert client.delete(f"{base}/buying-factors/{fid}/").status_code == 204
    fill(world.users["hefei_cm"], plan)
    assert client.post(f"{base}/submit/").status_code == 200
    r = client.post(f"{base}/sites/", {"address": "新站点"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "plan_frozen"
    assert client.delete(f"{base}/sites/{plan.sites.first().pk}/").status_code == 409


def test_review_through_api(world, plan):
    fill(world.users["hefei_cm"], plan)
    base = f"/api/v1/account-plans/{plan.pk}"
    assert api(world.users["hefei_cm"]).post(f"{base}/submit/").status_code == 200
    assert api(world.users["wuhu_im"]).post(f"{base}/approve/", {}, format="json").status_code == 404
    r = api(world.users["hefei_city"]).post(f"{base}/approve/", {}, format="json")
    assert r.status_code == 403
    assert api(world.users["hefei_im"]).get(f"{base}/").json()["can_review"]
    r = api(world.users["hefei_im"]).post(f"{base}/return/", {"comment": ""}, format="json")
    assert r.status_code == 400
    r = api(world.users["hefei_im"]).post(f"{base}/return/", {"comment": "补充站点"}, format="json")
    assert r.json()["status"] == "returned" and r.json()["review_comment"] == "补充站点"
    api(world.users["hefei_cm"]).post(f"{base}/submit/")
    r = api(world.users["hefei_im"]).post(f"{base}/approve/", {"comment": "同意"}, format="json")
    assert r.json()["status"] == "approved" and r.json()["is_current"]
    r = api(world.users["hefei_cm"]).post(f"{base}/new-version/")
    assert r.status_code == 201 and r.json()["version"] == 2 and len(r.json()["sites"]) == 1
    r = api(world.users["hefei_cm"]).get("/api/v1/account-plans/", {"customer": plan.customer_id, "is_current": True})
    assert [p["version"] for p in r.json()["results"]] == [1]


def test_key_account_case_end_to_end(world):
    """From the customer file to an approved plan, all through the API, exported to PDF and XLSX."""
    from openpyxl import load_workbook
    from pypdf import PdfReader

    city = api(world.users["hefei_city"])
    r = city.post("/api/v1/customers/", {
        "credit_code": credit_code(777), "name": "安徽省某城市商业银行", "industry": "finance",
        "grid": world.hefei_grid.pk, "monthly_spend": "86000.00", "status": "active", "strategic": True,
        "decision_process": "科技部提出需求，分管副行长审批，采购中心集中招标",
        "main_business": "存贷款、支付结算", "employees": 2600,
    }, format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    r = city.post(f"/api/v1/customers/{cid}/contacts/", {"name": "周行长", "title": "分管副行长", "department": "行领导",
                  "decision_role": "economic", "influence": "high", "attitude": "C"}, format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    products = {p["code"]: p["id"] for p in city.get("/api/v1/products/", {"page_size": 200}).json()["results"]}
    for code, qty, revenue in [("DIA", 100, "8000.00"), ("VPMN", 1800, "5400.00"), ("YXT", 200000, "16000.00")]:
        r = city.post("/api/v1/holdings/", {"customer": cid, "product": products[code], "quantity": qty,
                      "start": "2024-01-01", "monthly_revenue": revenue, "payment_mode": "unified"}, format="json")  # fmt: skip
        assert r.status_code == 201, r.content

    r = city.post("/api/v1/account-plans/", {"customer": cid, "title": "2026年度客户规划", "year": 2026,
                  "objective": "巩固专线与银信通，拓展分支机构组网"}, format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    plan = r.json()
    assert "周行长" in plan["customer_profile"] and "互联网专线 100" in plan["network_status"]
    assert plan["decision_process"].startswith("科技部")
    base = f"/api/v1/account-plans/{plan['id']}"
    assert city.patch(f"{base}/", TEXT | {"competition_summary": "电信以固网捆绑争夺分支机构"},
                      format="json").status_code == 200  # fmt: skip
    for section, rows in ROWS.items():
        slug = section.replace("_", "-")
        for row in _json(rows):
            r = city.post(f"{base}/{slug}/", row, format="json")
            assert r.status_code == 201, (section, r.content)
    assert city.post(f"{base}/submit/").json()["status"] == "submitted"
    r = api(world.users["hefei_im"]).post(f"{base}/approve/", {"comment": "同意，按计划推进"}, format="json")
    assert r.status_code == 200 and r.json()["is_current"]

    r = city.get(f"{base}/export.pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert "attachment" in r["Content-Disposition"]
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(page.extract_text() for page in _with_two_byte_codes(reader).pages)
    assert len(reader.pages) >= 2
    for phrase in ["集团客户规划", "安徽省某城市商业银行", "第一步", "行业分析", "第六步", "客户规划分析", "中国电信",
                   "互联网专线扩容", "合肥市蜀山区长江西路100号", "季度业务交流会", "已批准", "同意，按计划推进"]:  # fmt: skip
        assert phrase in text, phrase
    assert "第 1 页 / 共" in text

    r = city.get(f"{base}/export.xlsx/")
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["封面", "第一步行业分析", "第二步竞争分析", "第三步个性化需求分析", "第四步定制化方案分析",
                             "第五步服务支撑能力分析", "第六步客户规划分析"]  # fmt: skip
    cover = {row[0]: row[1] for row in wb["封面"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert cover["客户"] == "安徽省某城市商业银行" and cover["状态"] == "已批准" and cover["版本"] == "V1"
    step1 = list(wb["第一步行业分析"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(step1) if row[:3] == ("序号", "关键购买因素", "权重(%)"))
    assert step1[header + 1][1:5] == ("价格", 30, 3, 4)
    step4 = [row for row in wb["第四步定制化方案分析"].iter_rows(values_only=True) if row[0] == "互联网专线扩容"]
    assert step4 and step4[0][1] == 120000 and step4[0][10] == 60000
    assert ExportLog.objects.filter(what="account_plan", actor=world.users["hefei_city"]).count() == 2
