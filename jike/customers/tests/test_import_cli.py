"""`jike import-members` / `jike import-customers`: inline run, exit status, rejects file."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from jike.customers.models import Customer, Member
from jike.customers.tests.fixtures.importfiles import CUSTOMER_HEADER, MEMBER_HEADER, member_row, write_csv


def test_import_members_command(world, tmp_path):
    a = world.customer(grid=world.hefei_grid)
    path = write_csv(
        tmp_path / "m.csv",
        MEMBER_HEADER,
        [member_row(a.credit_code, "13800000001"), member_row(a.credit_code, "1")],
        encoding="gbk",
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="rejected"):
        call_command("import-members", str(path), "--user", "t-hefei-city", "--no-progress", stdout=out)
    assert "row 3 [手机号码]" in out.getvalue() and Member.objects.count() == 0
    rejects = tmp_path / "rejects.csv"
    call_command(
        "import-members",
        str(path),
        "--user",
        "t-hefei-city",
        "--partial",
        "--rejects",
        str(rejects),
        "--no-progress",
        stdout=out,
    )
    assert Member.objects.count() == 1
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf") and "手机号码无效" in rejects.read_text("utf-8-sig")
    with pytest.raises(CommandError, match="only managers"):
        call_command("import-members", str(path), "--user", "t-hefei-cm", "--no-progress", stdout=out)


def test_import_customers_command_with_mapping_and_dry_run(world, tmp_path):
    header = ["证件号", *CUSTOMER_HEADER[1:]]
    row = ["91340100MA00000419", "合肥测试集团", "", "金融", "", "", "合肥", "", "", "", "", "", ""]
    from jike.core.testing import credit_code

    row[0] = credit_code(4242)
    path = write_csv(tmp_path / "c.csv", header, [row])
    out = io.StringIO()
    call_command("import-customers", str(path), "--map", "证件号=credit_code", "--dry-run", "--no-progress", stdout=out)
    assert "created 1" in out.getvalue() and "(dry run)" in out.getvalue()
    assert not Customer.objects.filter(credit_code=credit_code(4242)).exists()
    call_command("import-customers", str(path), "--mapping", '{"证件号": "credit_code"}', "--no-progress", stdout=out)
    assert Customer.objects.get(credit_code=credit_code(4242)).industry == "finance"
