"""The imports API: upload (multipart), status, rejects list and CSV, permissions and scope."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from jike.core.models import ExportLog
from jike.core.testing import api
from jike.customers.models import ImportJob, Member
from jike.customers.tests.fixtures.importfiles import MEMBER_HEADER, member_row, write_csv


@pytest.fixture(autouse=True)
def inline_jobs(settings, tmp_path):
    settings.JIKE_JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, path, **fields):
    """Multipart POST through a plain client: the schema-checked client cannot re-read a multipart
    body (RawPostDataException); the job it returns is checked against the schema by a GET."""
    data = {"file": SimpleUploadedFile(path.name, path.read_bytes()), "kind": "members", **fields}
    plain = APIClient()
    plain.force_authenticate(client.handler._force_user)
    res = plain.post("/api/v1/imports/", data, format="multipart")
    if res.status_code == 201:
        assert client.get(f"/api/v1/imports/{res.json()['id']}/").json() == res.json()
    return res


@pytest.fixture
def member_file(world, tmp_path):
    a = world.customer(grid=world.hefei_grid)
    rows = [
        member_row(a.credit_code, "13800000001"),
        member_row(a.credit_code, "13912345678"),  # row 3
        member_row(a.credit_code, "1391234567"),  # row 4: too short
    ]
    return a, write_csv(tmp_path / "成员.csv", MEMBER_HEADER, rows)


def test_upload_partial_then_status_rejects_and_csv(world, member_file):
    a, path = member_file
    client = api(world.users["hefei_city"])
    res = upload(client, path, mode="partial")
    assert res.status_code == 201, res.content
    job = res.json()
    assert (job["status"], job["created_count"], job["rejected_count"], job["percent"]) == ("succeeded", 2, 1, 100)
    assert job["original_name"] == "成员.csv"
    assert Member.objects.filter(customer=a).count() == 2

    detail = client.get(f"/api/v1/imports/{job['id']}/").json()
    assert detail["processed_rows"] == detail["total_rows"] == 3
    listing = client.get("/api/v1/imports/").json()
    assert [j["id"] for j in listing["results"]] == [job["id"]]

    rejects = client.get(f"/api/v1/imports/{job['id']}/rejects/").json()
    assert rejects["count"] == 1
    reject = rejects["results"][0]
    assert (reject["row_number"], reject["column"]) == (4, "手机号码")
    assert reject["value"] == "139***4567"  # a city manager does not see members' numbers (PIPL)

    res = client.get(f"/api/v1/imports/{job['id']}/rejects/download/")
    assert res.status_code == 200 and res["Content-Type"].startswith("text/csv")
    body = b"".join(res.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["行号", "列", "值", "原因"]
    assert rows[1][:2] == ["4", "手机号码"] and "11位" in rows[1][3]
    log = ExportLog.objects.get(what="import_rejects")
    assert (log.actor, log.rows, log.pii_unmasked) == (world.users["hefei_city"], 1, False)


def test_all_or_nothing_upload_with_mapping_and_dry_run(world, member_file, tmp_path):
    a, _ = member_file
    path = write_csv(tmp_path / "m.csv", ["信用代码X", "号码X"], [[a.credit_code, "13800000009"]])
    client = api(world.users["admin"])
    mapping = json.dumps({"信用代码X": "credit_code", "号码X": "msisdn"})
    res = upload(client, path, mapping=mapping, dry_run="true")
    assert res.status_code == 201, res.content
    assert (res.json()["status"], res.json()["created_count"], res.json()["dry_run"]) == ("succeeded", 1, True)
    assert not Member.objects.exists()
    res = upload(client, path, mapping=mapping)
    assert res.json()["created_count"] == 1 and Member.objects.count() == 1


def test_bad_requests(world, member_file):
    _, path = member_file
    client = api(world.users["admin"])
    assert upload(client, path, kind="planets").status_code == 400
    res = upload(client, path, mapping=json.dumps({"手机号码": "phone_number"}))
    assert res.status_code == 400 and res.json()["code"] == "bad_mapping"
    plain = APIClient()
    plain.force_authenticate(world.users["admin"])
    res = plain.post("/api/v1/imports/", {"kind": "members"}, format="multipart")
    assert res.status_code == 400 and "file" in res.json()["details"]


@pytest.mark.parametrize("name", ["hefei_cm", "hefei_im", "analyst", "wuhu_im"])
def test_non_managers_get_403(world, member_file, name):
    _, path = member_file
    client = api(world.users[name])
    assert upload(client, path).status_code == 403
    assert client.get("/api/v1/imports/").status_code == 403


def test_jobs_of_others_are_404_and_scope_is_enforced(world, member_file):
    _, path = member_file
    res = upload(api(world.users["hefei_city"]), path, mode="partial")
    job_id = res.json()["id"]
    wuhu = api(world.users["wuhu_city"])
    assert wuhu.get(f"/api/v1/imports/{job_id}/").status_code == 404
    assert wuhu.get(f"/api/v1/imports/{job_id}/rejects/").status_code == 404
    assert wuhu.get(f"/api/v1/imports/{job_id}/rejects/download/").status_code == 404
    # Wuhu's manager importing Hefei's group: every row is rejected as out of scope.
    res = upload(wuhu, path, mode="partial").json()
    assert (res["created_count"], res["rejected_count"]) == (0, 3)
    reasons = {r["reason"] for r in wuhu.get(f"/api/v1/imports/{res['id']}/rejects/").json()["results"]}
    assert "该集团不在您的数据范围内" in reasons
    assert ImportJob.objects.count() == 2
