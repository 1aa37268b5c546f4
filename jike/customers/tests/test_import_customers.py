"""Customer imports: upsert by credit code through the services, audit, scope, bad input."""

from __future__ import annotations

from pathlib import Path

from jike.core.models import AuditLog
from jike.core.testing import credit_code
from jike.customers import importers
from jike.customers.models import Customer, ImportReject, ImportStatus
from jike.customers.tests.fixtures.importfiles import CUSTOMER_HEADER, write_csv, write_xlsx


def run(user, path: Path, **opts):
    job = importers.create_job(user, "customers", path=path, **opts)
    return importers.run_job(job, path=path)


def rejects(job):
    return [
        (r.row_number, r.column, r.reason) for r in ImportReject.objects.filter(job=job).order_by("row_number", "id")
    ]


def rows(n0: int = 5000) -> list[list[str]]:
    return [
        [
            credit_code(n0 + 1),
            "合肥市第一中学",
            "合肥一中",
            "教育",
            "机关事业单位",
            "安徽省合肥市蜀山区长江西路1号",
            "合肥",
            "",
            "320",
            "12000.50",
            "2024-01-01",
            "2026-12-31",
            "在网",
        ],
        [
            credit_code(n0 + 2),
            "长丰县农商银行",
            "",
            "金融",
            "股份制企业",
            "",
            "",
            "340121-01",
            "1,200",
            "88000",
            "",
            "",
            "已签约",
        ],
        [credit_code(n0 + 3), "芜湖港务集团", "", "交通物流", "国有企业", "", "3402", "", "", "5000", "", "", "潜在"],
    ]


def test_import_creates_customers_through_services_with_audit(world, tmp_path):
    job = run(world.users["admin"], write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows()))
    assert job.status == ImportStatus.SUCCEEDED, (job.error, rejects(job))
    assert (job.created_count, job.updated_count, job.rejected_count) == (3, 0, 0)
    school = Customer.objects.get(credit_code=credit_code(5001))
    assert (school.industry, school.ownership, school.city, school.status) == (
        "education",
        "government_body",
        world.hefei,
        "active",
    )
    assert school.addr_city == "合肥市" and str(school.monthly_spend) == "12000.50"
    bank = Customer.objects.get(credit_code=credit_code(5002))
    assert (bank.grid, bank.county, bank.city, bank.employees) == (
        world.hefei_grid,
        world.hefei_county,
        world.hefei,
        1200,
    )
    assert Customer.objects.get(credit_code=credit_code(5003)).city == world.wuhu
    assert AuditLog.objects.filter(action="customer.create").count() == 3
    assert AuditLog.objects.get(action="import.customers").changes["created"] == 3


def test_reimport_is_idempotent_and_updates_changed_rows(world, tmp_path):
    data = rows()
    run(world.users["admin"], write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, data))
    again = run(world.users["admin"], write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, data))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    data[1][9] = "99000"
    changed = run(world.users["admin"], write_xlsx(tmp_path / "c.xlsx", CUSTOMER_HEADER, data))
    assert (changed.created_count, changed.updated_count, changed.unchanged_count) == (0, 1, 2), rejects(changed)
    assert Customer.objects.count() == 3
    assert str(Customer.objects.get(credit_code=credit_code(5002)).monthly_spend) == "99000.00"
    assert AuditLog.objects.filter(action="customer.update").count() == 1


def test_bad_customer_rows(world, tmp_path):
    existing_wuhu = world.customer(grid=world.wuhu_grid)
    good = rows()[0]
    bad_check = credit_code(6000)[:-1] + ("0" if credit_code(6000)[-1] != "0" else "1")
    data = [
        good,  # row 2
        [bad_check, "校验位错", "", "", "", "", "合肥", "", "", "", "", "", ""],  # row 3
        [credit_code(6001), "", "", "", "", "", "合肥", "", "", "", "", "", ""],  # row 4: new without name
        [credit_code(6002), "行业错", "", "航天", "", "", "合肥", "", "", "", "", "", ""],  # row 5
        [credit_code(6003), "日期错", "", "", "", "", "合肥", "", "", "", "2025-01-01", "2024-01-01", ""],  # row 6
        [credit_code(6004), "无归属", "", "", "", "", "", "", "", "", "", "", ""],  # row 7
        [good[0], "重复", "", "", "", "", "合肥", "", "", "", "", "", ""],  # row 8
        [existing_wuhu.credit_code, "芜湖的客户", "", "", "", "", "", "", "", "", "", "", ""],  # row 9: out of scope
        [credit_code(6005), "放到芜湖", "", "", "", "", "芜湖", "", "", "", "", "", ""],  # row 10: out of scope
        [credit_code(6006), "负数", "", "", "", "", "合肥", "", "-5", "abc", "", "", ""],  # row 11
    ]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, data)
    before = Customer.objects.count()
    job = run(world.users["hefei_city"], path)
    assert job.status == ImportStatus.REJECTED
    assert Customer.objects.count() == before
    expected = [
        (3, "统一社会信用代码", "统一社会信用代码校验位错误"),
        (4, "集团名称", "新客户必须填写集团名称"),
        (5, "行业", "取值无效：航天"),
        (6, "协议到期", "协议到期早于协议开始"),
        (7, "归属市公司", "新客户必须填写归属市公司或网格"),
        (8, "统一社会信用代码", "与第2行重复（同一统一社会信用代码）"),
        (9, "统一社会信用代码", "该客户不在您的数据范围内"),
        (10, "归属市公司", "不能把客户放到您的数据范围以外的单位"),
        (11, "员工数", "不能小于 0"),
        (11, "月消费", "应为数字"),
    ]
    assert rejects(job) == expected
    assert job.rejected_count == 9
    partial = run(world.users["hefei_city"], path, mode="partial")
    assert (partial.status, partial.created_count, partial.rejected_count) == (ImportStatus.SUCCEEDED, 1, 9)
    assert Customer.objects.count() == before + 1
    assert Customer.objects.filter(credit_code=good[0]).exists()


def test_parent_by_credit_code_earlier_in_file(world, tmp_path):
    header = [*CUSTOMER_HEADER, "上级单位信用代码"]
    data = [
        [credit_code(7001), "总部", "", "", "", "", "合肥", "", "", "", "", "", "", ""],
        [credit_code(7002), "分公司", "", "", "", "", "合肥", "", "", "", "", "", "", credit_code(7001)],
    ]
    job = run(world.users["admin"], write_csv(tmp_path / "c.csv", header, data))
    assert job.status == ImportStatus.SUCCEEDED, rejects(job)
    assert Customer.objects.get(credit_code=credit_code(7002)).parent.credit_code == credit_code(7001)


def test_customer_dry_run_changes_nothing(world, tmp_path):
    job = run(world.users["admin"], write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows()), dry_run=True)
    assert (job.status, job.created_count) == (ImportStatus.SUCCEEDED, 3)
    assert Customer.objects.count() == 0
    assert not AuditLog.objects.filter(action__startswith="customer.").exists()
