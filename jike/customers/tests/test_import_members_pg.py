"""The PostgreSQL load path of member imports (members_pg): rows of groups without members COPYed
straight into the table while validation streams, the rest upserted, the foreign key checked per
statement, and every guarantee of the general path kept (atomic, idempotent, exact counts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from jike.core.models import AuditLog
from jike.customers import importers, services
from jike.customers.importers import members_pg
from jike.customers.importers.members import SeenKeys
from jike.customers.models import ImportStatus, Member
from jike.customers.tests.fixtures.importfiles import MEMBER_HEADER, member_row, write_csv

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL load path")


def run(user, path: Path, **opts):
    job = importers.create_job(user, "members", path=path, **opts)
    return importers.run_job(job, path=path)


@pytest.fixture
def spy(monkeypatch):
    """Rows sent through the streaming COPY and through the upsert, per import."""
    seen: dict[str, int] = {"streamed": 0, "upserts": 0, "copies": 0}
    write_new, upsert = members_pg.Loader.write_new, members_pg._upsert

    def counting_write_new(self, data, rows):
        seen["streamed"] += rows
        seen["copies"] += self._copy is None  # a COPY statement starts
        return write_new(self, data, rows)

    def counting_upsert(*args, **kwargs):
        seen["upserts"] += 1
        return upsert(*args, **kwargs)

    monkeypatch.setattr(members_pg.Loader, "write_new", counting_write_new)
    monkeypatch.setattr(members_pg, "_upsert", counting_upsert)
    return seen


@pytest.fixture
def two_groups(world):
    """`old` already has two members, `new` has none."""
    old = world.customer(grid=world.hefei_grid)
    new = world.customer(grid=world.hefei_grid)
    admin = world.users["admin"]
    services.add_member(admin, old, msisdn="13900000001", name="老一", payment_mode="unified")
    services.add_member(admin, old, msisdn="13900000002", name="老二", payment_mode="unified")
    return old, new


def mixed_rows(old, new) -> list[list[str]]:
    return [
        member_row(old.credit_code, "13900000001", "老一改名"),  # existing, changed
        member_row(old.credit_code, "13900000003", "老三"),  # new member of a group that has members
        member_row(new.credit_code, "13900000009", "新九", pay="分账", share="30"),
        member_row(new.credit_code, "13900000008", "新八"),  # out of order: sorted before the COPY
        member_row(new.credit_code, "13900000007", "新七", status="离网", leave="2024-02-01"),
    ]


def test_first_load_copies_new_groups_and_upserts_the_others(world, two_groups, tmp_path, spy):
    old, new = two_groups
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, mixed_rows(old, new)))
    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert (job.created_count, job.updated_count, job.unchanged_count) == (4, 1, 0)
    assert spy == {"streamed": 3, "upserts": 1, "copies": 1}  # the new group's rows skipped the upsert
    assert Member.objects.get(customer=old, msisdn="13900000001").name == "老一改名"
    assert Member.objects.get(customer=old, msisdn="13900000002").name == "老二"  # not in the file: untouched
    split = Member.objects.get(customer=new, msisdn="13900000009")
    assert (split.payment_mode, split.unit_share, split.name) == ("split", 30, "新九")
    left = Member.objects.get(customer=new, msisdn="13900000007")
    assert (left.status, str(left.leave_date)) == ("left", "2024-02-01")
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.member_count, old.unified_member_count) == (3, 3)
    assert (new.member_count, new.unified_member_count) == (2, 1)  # the left member is not counted
    assert AuditLog.objects.get(action="import.members").changes["created"] == 4
    with connection.cursor() as cur:  # the bulk settings end with the load
        cur.execute("SHOW session_replication_role")
        assert cur.fetchone()[0] == "origin"


def test_reimport_after_first_load_is_idempotent(world, two_groups, tmp_path, spy):
    old, new = two_groups
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, mixed_rows(old, new))
    run(world.users["admin"], path)
    spy["streamed"] = 0
    again = run(world.users["admin"], path)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 5)
    assert spy["streamed"] == 0  # both groups have members now: everything goes through the upsert
    assert Member.objects.count() == 6


def test_all_or_nothing_rolls_back_rows_already_streamed(world, two_groups, tmp_path, spy):
    old, new = two_groups
    rows = [*mixed_rows(old, new), member_row(new.credit_code, "123")]
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows))
    assert job.status == ImportStatus.REJECTED
    assert spy["streamed"] == 3  # they reached PostgreSQL before the bad row was seen...
    assert Member.objects.count() == 2  # ...and were rolled back with the rest
    assert Member.objects.get(customer=old, msisdn="13900000001").name == "老一"
    assert not AuditLog.objects.filter(action="import.members").exists()


def test_partial_mode_streams_exactly_the_good_rows(world, two_groups, tmp_path):
    old, new = two_groups
    rows = [*mixed_rows(old, new), member_row(new.credit_code, "123"), member_row(new.credit_code, "13900000008")]
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows), mode="partial")
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.created_count, job.updated_count, job.rejected_count) == (4, 1, 2)
    assert sorted(Member.objects.filter(customer=new).values_list("msisdn", flat=True)) == [
        "13900000007",
        "13900000008",
        "13900000009",
    ]


def test_group_deleted_before_the_load_fails_the_job_and_writes_nothing(world, two_groups, tmp_path, monkeypatch):
    old, new = two_groups
    lock = members_pg.lock_groups
    monkeypatch.setattr(members_pg, "lock_groups", lambda cur, ids: lock(cur, [*ids, 987_654_321]))
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, mixed_rows(old, new)))
    assert job.status == ImportStatus.FAILED
    assert "删除" in job.error
    assert Member.objects.count() == 2


def test_foreign_key_is_checked_per_statement_only_when_allowed(world, monkeypatch):
    with connection.cursor() as cur:
        assert members_pg.fk_checked_per_statement(cur)  # tests connect as a superuser
        cur.execute(
            "CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;"
            " CREATE TRIGGER jike_test_noop BEFORE INSERT ON customers_member FOR EACH ROW EXECUTE FUNCTION pg_temp.noop()"
        )
        assert not members_pg.fk_checked_per_statement(cur)  # a trigger of ours must not be skipped


def test_row_number_mismatch_undoes_the_streamed_rows(world, two_groups, tmp_path, spy):
    _, new = two_groups
    path = tmp_path / "m.csv"
    text = (
        ",".join(MEMBER_HEADER) + "\r\n"
        + ",".join(member_row(new.credit_code, "13900000011")) + "\r\n"
        + "\r\n"  # a blank line: Arrow's row count no longer numbers the file's lines
        + ",".join(member_row(new.credit_code, "123")) + "\r\n"
    )  # fmt: skip
    path.write_bytes(text.encode("utf-8"))
    job = run(world.users["admin"], path, mode="partial")
    assert spy["streamed"] == 1  # streamed, rolled back to the savepoint, loaded again by the plain path
    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert (job.created_count, job.rejected_count) == (1, 1)
    assert Member.objects.filter(customer=new).count() == 1


def test_seen_keys_find_repeats_within_and_across_batches():
    seen = SeenKeys()
    assert seen.add_batch(np.array([30, 10, 20], np.int64), np.array([2, 3, 4], np.int64))
    assert not seen.add_batch(np.array([40, 40], np.int64), np.array([5, 6], np.int64))  # within the batch
    assert not seen.add_batch(np.array([50, 20], np.int64), np.array([7, 8], np.int64))  # with an earlier one
    assert seen.get(50) is None  # a refused batch adds nothing
    assert (seen.get(10), seen.get(20), seen.get(30)) == (3, 4, 2)
    seen[60] = 9  # a row checked one by one
    assert seen.get(60) == 9
    assert not seen.add_batch(np.array([60], np.int64), np.array([10], np.int64))
    assert seen.add_batch(np.array([5, 70], np.int64), np.array([11, 12], np.int64))
    assert list(seen.keys) == [5, 10, 20, 30, 70]


def test_many_batches_with_lookups_between_them_and_a_repeat_across_batches(world, tmp_path, monkeypatch, spy):
    """Small Arrow blocks: each batch brings a group not looked up yet (the COPY is paused for the
    query and resumed) and the last one repeats a number of the first (found across batches)."""
    from jike.customers.importers import members_fast

    monkeypatch.setattr(members_fast, "BLOCK", 300)
    monkeypatch.setattr(members_fast, "credit_codes", lambda *args: [])  # nothing read ahead
    locked: list[int] = []
    lock = members_pg.lock_groups
    monkeypatch.setattr(members_pg, "lock_groups", lambda cur, ids: locked.extend(ids) or lock(cur, ids))
    groups = [world.customer(grid=world.hefei_grid) for _ in range(3)]
    rows = [member_row(g.credit_code, f"1370000{i:04d}") for i, g in enumerate(g for g in groups for _ in range(4))]
    rows.append(member_row(groups[0].credit_code, "13700000000"))  # the same group and number as row 2
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows), mode="partial")
    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert (job.created_count, job.rejected_count) == (12, 1)
    assert [(r.row_number, r.reason) for r in job.rejects.all()] == [(14, "与第2行重复（同一集团同一号码）")]
    assert spy["streamed"] >= 8  # most rows went through the streaming COPY, across several batches
    assert spy["copies"] >= 2  # ended for a lookup, started again
    assert sorted(locked) == sorted(g.pk for g in groups)  # groups found late are locked and checked too
    assert Member.objects.count() == 12


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_others_while_rows_stream(tmp_path, monkeypatch):
    """The job's connection is inside the load transaction (a COPY open on it): progress goes
    through a second connection, committed at once, so the job page can show it."""
    from jike.core.testing import make_world
    from jike.customers.importers import members_fast, runner

    monkeypatch.setattr(members_fast, "BLOCK", 400)
    monkeypatch.setattr(runner, "PROGRESS_EVERY", 0)
    world = make_world()
    group = world.customer(grid=world.hefei_grid)
    rows = [member_row(group.credit_code, f"1360000{i:04d}") for i in range(40)]
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)
    job = importers.create_job(world.users["admin"], "members", path=path)
    observed: list[int] = []
    other = connection.get_new_connection(connection.get_connection_params())
    other.autocommit = True

    def look(done: int, total: int) -> None:  # called before each save: sees the previous one
        with other.cursor() as cur:
            cur.execute("SELECT processed_rows FROM customers_importjob WHERE id = %s", [job.pk])
            observed.append(cur.fetchone()[0])

    try:
        job = importers.run_job(job, path=path, progress=look)
    finally:
        other.close()
    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert job.created_count == 40
    assert any(0 < n < 40 for n in observed)  # seen while the import's transaction was still open


def test_member_added_meanwhile_to_a_group_loaded_by_copy_fails_cleanly(world, two_groups, tmp_path, monkeypatch):
    """The "no members yet" hint is taken before the load: if it is stale (a member with the same
    number was added in between), the unique constraint stops the COPY and nothing is written."""
    from jike.customers.importers.groups import GroupResolver

    old, new = two_groups
    monkeypatch.setattr(GroupResolver, "_load_populated", lambda self, ids: None)  # every group looks empty
    job = run(world.users["admin"], write_csv(tmp_path / "m.csv", MEMBER_HEADER, mixed_rows(old, new)))
    assert job.status == ImportStatus.FAILED
    assert "回滚" in job.error
    assert Member.objects.count() == 2
    assert Member.objects.get(customer=old, msisdn="13900000001").name == "老一"
