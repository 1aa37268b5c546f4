"""Member imports through the importer service: formats, validation, modes, scope, atomicity."""

from __future__ import annotations

from pathlib import Path

import pytest

from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog
from jike.core.testing import credit_code
from jike.customers import importers
from jike.customers.models import ImportReject, ImportStatus, Member
from jike.customers.tests.fixtures.importfiles import MEMBER_HEADER, member_row, write_csv, write_xlsx


def run(user, path: Path, kind: str = "members", **opts):
    job = importers.create_job(user, kind, path=path, **opts)
    return importers.run_job(job, path=path)


def rejects(job) -> list[tuple[int, str, str]]:
    return [
        (r.row_number, r.column, r.reason) for r in ImportReject.objects.filter(job=job).order_by("row_number", "id")
    ]


@pytest.fixture
def groups(world):
    a = world.customer(grid=world.hefei_grid)
    b = world.customer(grid=world.hefei_grid)
    w = world.customer(grid=world.wuhu_grid)
    return a, b, w


def good_rows(a, b) -> list[list[str]]:
    return [
        member_row(a.credit_code, "13800000001", "张一"),
        member_row(a.credit_code, "13800000002", "张二", pay="个人"),
        member_row(a.credit_code, "13800000003", "张三", pay="分账", share="60"),
        member_row(b.credit_code, "+86 138-0000-0004", "李四", key="是"),
        member_row(b.credit_code, "13800000001", "李五", status="离网", leave="2024/03/01"),
    ]


def test_csv_import_creates_members_counts_and_audit(world, groups, tmp_path):
    a, b, _ = groups
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, good_rows(a, b)))
    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count) == (5, 0, 0, 0)
    assert job.encoding == "utf-8-sig"
    assert Member.objects.filter(customer=a).count() == 3
    split = Member.objects.get(customer=a, msisdn="13800000003")
    assert (split.payment_mode, split.unit_share) == ("split", 60)
    normalised = Member.objects.get(customer=b, msisdn="13800000004")
    assert normalised.is_key_person and normalised.payment_mode == "unified"
    left = Member.objects.get(customer=b, msisdn="13800000001")
    assert left.status == "left" and str(left.leave_date) == "2024-03-01"
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.member_count, a.unified_member_count) == (3, 1)
    assert (b.member_count, b.unified_member_count) == (1, 1)  # the left member is not counted
    entry = AuditLog.objects.get(action="import.members")
    assert entry.changes["created"] == 5 and entry.actor == world.users["admin"]


def test_reimport_is_idempotent_and_counts_updates(world, groups, tmp_path):
    a, b, _ = groups
    rows = good_rows(a, b)
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)
    run(world.users["admin"], path)
    again = run(world.users["admin"], path)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 5)
    assert Member.objects.count() == 5
    rows[0] = member_row(a.credit_code, "13800000001", "张一改名")
    changed = run(world.users["admin"], write_csv(tmp_path / "m2.csv", MEMBER_HEADER, rows))
    assert (changed.created_count, changed.updated_count, changed.unchanged_count) == (0, 1, 4)
    assert Member.objects.get(customer=a, msisdn="13800000001").name == "张一改名"
    assert Member.objects.count() == 5


@pytest.mark.parametrize(("encoding", "detected"), [("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16")])
def test_gbk_gb18030_and_utf16_files(world, groups, tmp_path, encoding, detected):
    a, b, _ = groups
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, good_rows(a, b), encoding=encoding)
    job = run(world.users["admin"], path)
    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert job.encoding == detected
    assert Member.objects.get(customer=a, msisdn="13800000001").name == "张一"


def test_xlsx_with_numeric_and_date_cells(world, groups, tmp_path):
    import datetime as dt

    a, _, _ = groups
    rows = [
        [a.credit_code, 13800000011, "王五", "财务部", "是", dt.date(2022, 5, 1), None, "在网", "统付", None],
        [a.credit_code, 13800000012, "赵六", "", "否", dt.datetime(2021, 1, 2), None, "停机", "分账", 30],
    ]
    job = run(world.users["admin"], write_xlsx(tmp_path / "m.xlsx", MEMBER_HEADER, rows))
    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert job.encoding == "xlsx"
    m = Member.objects.get(msisdn="13800000011")
    assert (m.name, str(m.join_date), m.is_key_person) == ("王五", "2022-05-01", True)
    assert Member.objects.get(msisdn="13800000012").unit_share == 30


def bad_file(tmp_path: Path, a, w) -> Path:
    wrong_check = a.credit_code[:-1] + ("0" if a.credit_code[-1] != "0" else "1")
    rows = [
        member_row(a.credit_code, "13800000001"),  # row 2: good
        member_row(a.credit_code, "12345"),  # row 3: bad number
        member_row(wrong_check, "13800000002"),  # row 4: wrong check digit
        member_row(credit_code(987654), "13800000003"),  # row 5: unknown group
        member_row(a.credit_code, "13800000004", pay="分账"),  # row 6: split without share
        member_row(a.credit_code, "13800000001"),  # row 7: duplicate of row 2
        member_row(a.credit_code, "13800000005", join="2023-02-30"),  # row 8: no such date
        member_row(w.credit_code, "13800000006"),  # row 9: Wuhu group, outside a Hefei manager's scope
        member_row(a.credit_code, "13800000007", status="休眠"),  # row 10: unknown status
        member_row(a.credit_code, "13800000008"),  # row 11: good
    ]
    return write_csv(tmp_path / "bad.csv", MEMBER_HEADER, rows)


EXPECTED_REJECTS = [
    (3, "手机号码", "手机号码无效（应为11位中国大陆手机号）"),
    (4, "统一社会信用代码", "统一社会信用代码校验位错误"),
    (5, "统一社会信用代码", "集团不存在（请先导入集团客户）"),
    (6, "单位承担比例", "分账成员必须填写单位承担比例(1-99)"),
    (7, "手机号码", "与第2行重复（同一集团同一号码）"),
    (8, "入网日期", "日期不存在"),
    (9, "统一社会信用代码", "该集团不在您的数据范围内"),
    (10, "状态", "未知状态（可选：在网/停机/离网）"),
]


def test_bad_rows_all_or_nothing_leave_database_unchanged(world, groups, tmp_path):
    a, _, w = groups
    job = run(world.users["hefei_city"], bad_file(tmp_path, a, w))
    assert job.status == ImportStatus.REJECTED
    assert job.rejected_count == 8 and job.total_rows == 10
    assert rejects(job) == EXPECTED_REJECTS
    assert Member.objects.count() == 0
    assert not AuditLog.objects.filter(action="import.members").exists()


def test_bad_rows_partial_imports_exactly_the_good_rows(world, groups, tmp_path):
    a, _, w = groups
    job = run(world.users["hefei_city"], bad_file(tmp_path, a, w), mode="partial")
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.created_count, job.rejected_count) == (2, 8)
    assert sorted(Member.objects.values_list("msisdn", flat=True)) == ["13800000001", "13800000008"]
    assert rejects(job) == EXPECTED_REJECTS


def test_dry_run_reports_counts_and_changes_nothing(world, groups, tmp_path):
    a, b, _ = groups
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, good_rows(a, b)), dry_run=True)
    assert job.status == ImportStatus.SUCCEEDED
    assert job.created_count == 5
    assert Member.objects.count() == 0
    a.refresh_from_db()
    assert a.member_count == 0
    assert not AuditLog.objects.filter(action="import.members").exists()


def test_missing_column_fails_with_clear_message(world, groups, tmp_path):
    a, b, _ = groups
    header = [h for h in MEMBER_HEADER if h != "手机号码"]
    rows = [r[:1] + r[2:] for r in good_rows(a, b)]
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", header, rows))
    assert job.status == ImportStatus.FAILED
    assert "缺少必需的列" in job.error and "手机号码" in job.error
    assert rejects(job) == [(1, "手机号码", job.error)]
    assert Member.objects.count() == 0


def test_undecodable_file_fails_clearly(world, groups, tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes("统一社会信用代码,手机号码\n".encode() + b"\x80\x81\xff\xfe\x00garbage\xff\n")
    job = run(world.users["admin"], path)
    assert job.status == ImportStatus.FAILED
    assert "编码" in job.error
    assert Member.objects.count() == 0


def test_broken_xlsx_fails_clearly(world, groups, tmp_path):
    a, b, _ = groups
    good = write_xlsx(tmp_path / "good.xlsx", MEMBER_HEADER, good_rows(a, b))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    job = run(world.users["admin"], broken)
    assert job.status == ImportStatus.FAILED
    assert "Excel" in job.error
    assert Member.objects.count() == 0


def test_column_mapping_and_english_headers(world, groups, tmp_path):
    a, _, _ = groups
    header = ["group", "Phone No.", "name", "payment_mode"]
    rows = [[a.credit_code, "13800000021", "Alice", "unified"], [a.credit_code, "13800000022", "Bob", "personal"]]
    path = write_csv(tmp_path / "m.csv", header, rows)
    job = run(world.users["admin"], path, mapping={"group": "credit_code", "Phone No.": "msisdn"})
    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert Member.objects.get(msisdn="13800000021").name == "Alice"
    with pytest.raises(BusinessRuleError):
        importers.create_job(world.users["admin"], "members", path=path, mapping={"group": "no_such_field"})


def test_columns_absent_from_the_file_are_left_alone(world, groups, tmp_path):
    a, b, _ = groups
    run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, good_rows(a, b)))
    job = run(
        world.users["admin"],
        write_csv(
            tmp_path / "n.csv", ["统一社会信用代码", "手机号码", "部门"], [[a.credit_code, "13800000003", "新部门"]]
        ),
    )
    assert (job.updated_count, job.created_count) == (1, 0)
    member = Member.objects.get(customer=a, msisdn="13800000003")
    assert (member.department, member.name, member.payment_mode, member.unit_share) == ("新部门", "张三", "split", 60)


def test_only_managers_may_import(world, tmp_path):
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, [])
    for name in ("hefei_cm", "hefei_im", "analyst", "hefei_se"):
        with pytest.raises(BusinessRuleError) as exc:
            importers.create_job(world.users[name], "members", path=path)
        assert exc.value.status == 403


def test_failure_while_writing_leaves_no_half_batch(world, groups, tmp_path, monkeypatch):
    a, b, _ = groups
    from jike.core import audit

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # The job's audit entry is the last write of the transaction: members are already upserted.
    monkeypatch.setattr(audit, "record", boom)
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, good_rows(a, b)))
    assert job.status == ImportStatus.FAILED
    assert "disk full" in job.error
    assert Member.objects.count() == 0
    assert not AuditLog.objects.filter(action="import.members").exists()


def test_big_csv_goes_through_the_arrow_path(world, groups, tmp_path, monkeypatch):
    from jike.customers.importers import members_fast

    calls = []
    original = members_fast.validate
    monkeypatch.setattr(members_fast, "validate", lambda *a, **k: calls.append(1) or original(*a, **k))
    a, _, w = groups
    job = run(world.users["hefei_city"], bad_file(tmp_path, a, w), mode="partial")
    assert calls == [1]
    assert rejects(job) == EXPECTED_REJECTS  # same rejects, same wording as the plain path


def test_blank_lines_and_multiline_cells_keep_file_row_numbers(world, groups, tmp_path):
    a, _, _ = groups
    code = a.credit_code
    text = (
        "统一社会信用代码,手机号码,姓名\r\n"
        f"{code},13800000001,甲\r\n"  # line 2
        "\r\n"  # line 3: blank
        f"{code},123,乙\r\n"  # line 4: bad number
        f'{code},13800000002,"丙\r\n(借调)"\r\n'  # lines 5-6: a cell with a line break
        f"{code},456,丁\r\n"  # line 7: bad number
    )
    path = tmp_path / "m.csv"
    path.write_bytes(text.encode("utf-8"))
    job = run(world.users["admin"], path, mode="partial")
    assert [r[0] for r in rejects(job)] == [4, 7]
    assert job.created_count == 2
    assert Member.objects.get(msisdn="13800000002").name == "丙\r\n(借调)"
