from __future__ import annotations

import pytest

from jike.core.testing import PASSWORD, api

pytestmark = pytest.mark.django_db


def test_token_login_and_me(world):
    client = api()
    r = client.post("/api/v1/auth/token/", {"username": "t-hefei-cm", "password": PASSWORD}, format="json")
    assert r.status_code == 200, r.content
    token = r.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/").json()
    assert me["username"] == "t-hefei-cm"
    assert me["scope"] == "team"
    assert me["sees_pii"] is True


def test_bad_credentials_give_error_shape(world):
    r = api().post("/api/v1/auth/token/", {"username": "t-hefei-cm", "password": "wrong"}, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid" and "用户名或密码错误" in body["message"]


def test_anonymous_gets_401_error_shape(world):
    r = api().get("/api/v1/me/")
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"


def test_request_id_is_echoed(world):
    r = api(world.users["admin"]).get("/api/v1/me/", HTTP_X_REQUEST_ID="abc-123")
    assert r["X-Request-ID"] == "abc-123"


def test_staff_list_scoped_to_city(world):
    names = {u["username"] for u in api(world.users["wuhu_city"]).get("/api/v1/staff/?page_size=500").json()["results"]}
    assert "t-wuhu-cm" in names
    assert "t-hefei-cm" not in names
    all_names = {
        u["username"] for u in api(world.users["province"]).get("/api/v1/staff/?page_size=500").json()["results"]
    }
    assert {"t-wuhu-cm", "t-hefei-cm"} <= all_names
