"""Import pages: upload form, job page with progress and rejects, download, permissions; and a
browser test (Playwright) of the whole flow with HTMX polling."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path

import jike.urls
from e2e.fixtures import login
from jike.core.models import ExportLog
from jike.core.testing import PASSWORD
from jike.customers.models import ImportJob, Member
from jike.customers.tests.fixtures.importfiles import MEMBER_HEADER, member_row, write_csv

# The import pages first, so an older placeholder at /imports/ elsewhere cannot shadow them.
urlpatterns = [
    path("", include(("jike.customers.urls_imports", "imports"), namespace="imports")),
    *jike.urls.urlpatterns,
]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def member_csv(world, tmp_path):
    a = world.customer(grid=world.hefei_grid)
    rows = [member_row(a.credit_code, "13800000001"), member_row(a.credit_code, "139")]
    return write_csv(tmp_path / "成员名单.csv", MEMBER_HEADER, rows)


@pytest.fixture
def inline(settings, tmp_path):
    settings.JIKE_JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path / "media"


def test_upload_page_runs_job_and_shows_rejects(world, member_csv, client, inline):
    client.force_login(world.users["hefei_city"])
    resp = client.get("/imports/")
    assert resp.status_code == 200 and "上传运营商导出文件" in resp.content.decode()
    res = client.post(
        "/imports/",
        {"kind": "members", "mode": "partial", "file": SimpleUploadedFile("成员名单.csv", member_csv.read_bytes())},
    )
    job = ImportJob.objects.get()
    assert res.status_code == 302 and res["Location"] == f"/imports/{job.pk}/"
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="rejects-table"' in html and "手机号码无效" in html
    assert "hx-trigger" not in html  # finished: no more polling
    assert Member.objects.count() == 1
    listing = client.get("/imports/").content.decode()
    assert "成员名单.csv" in listing
    res = client.get(f"/imports/{job.pk}/rejects.csv")
    assert b"".join(res.streaming_content).startswith(b"\xef\xbb\xbf")
    assert ExportLog.objects.filter(what="import_rejects", actor=world.users["hefei_city"]).exists()


def test_progress_partial_polls_until_finished(world, member_csv, client, inline):
    from jike.customers import importers

    client.force_login(world.users["admin"])
    job = importers.create_job(world.users["admin"], "members", path=member_csv)
    res = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in res.content.decode() and "HX-Refresh" not in res
    importers.run_job(job, path=member_csv)
    res = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert res["HX-Refresh"] == "true" and 'data-status="rejected"' in res.content.decode()


def test_bad_mapping_is_a_form_error(world, member_csv, client, inline):
    client.force_login(world.users["admin"])
    res = client.post(
        "/imports/",
        {"kind": "members", "mode": "partial", "mapping": "{not json", "file": SimpleUploadedFile("m.csv", b"x")},
    )
    assert res.status_code == 200 and "列映射不是有效的 JSON" in res.content.decode()
    assert not ImportJob.objects.exists()


def test_non_managers_and_other_users(world, member_csv, client, inline):
    from jike.customers import importers

    job = importers.create_job(world.users["hefei_city"], "members", path=member_csv)
    client.force_login(world.users["hefei_cm"])
    assert client.get("/imports/").status_code == 403
    client.force_login(world.users["wuhu_city"])
    assert client.get("/imports/").status_code == 200
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.get(f"/imports/{job.pk}/rejects.csv").status_code == 404


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_browser_upload_progress_and_rejects(page, settings, tmp_path):
    from jike.core.testing import make_world

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JIKE_JOBS_INLINE = False  # a real background thread; the page polls it with HTMX
    world = make_world()
    a = world.customer(grid=world.hefei_grid)
    rows = [member_row(a.credit_code, f"138{i:08d}") for i in range(1, 300)] + [member_row(a.credit_code, "12")]
    path = write_csv(tmp_path / "members.csv", MEMBER_HEADER, rows)
    login(page, "t-hefei-city", PASSWORD)
    page.goto("/imports/")
    page.select_option("#id_kind", "members")
    page.select_option("#id_mode", "partial")
    page.set_input_files("#id_file", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#rejects-table")
    assert page.inner_text("[data-count=created]") == "299"
    assert page.inner_text("[data-count=rejected]") == "1"
    assert "手机号码无效" in page.inner_text("#rejects-table")
    with page.expect_download() as info:
        page.click("#download-rejects")
    assert info.value.suggested_filename.endswith("-rejects.csv")
    assert Member.objects.count() == 299
