"""The authentication backends load the user's org unit with the user (the data scope reads it on
every request) and keep Django's and DRF's rules; org units find their ancestors by path."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from jike.core.auth import ScopedModelBackend, ScopedTokenAuthentication
from jike.core.models import OrgLevel

pytestmark = pytest.mark.django_db


def test_session_user_comes_with_org_unit(world):
    cm = world.users["hefei_cm"]
    with CaptureQueriesContext(connection) as queries:
        user = ScopedModelBackend().get_user(cm.pk)
        assert user.org_unit.path == world.hefei_grid.path
    assert len(queries) == 1
    cm.is_active = False
    cm.save()
    assert ScopedModelBackend().get_user(cm.pk) is None
    assert ScopedModelBackend().get_user(987654) is None


def test_token_user_comes_with_org_unit(world):
    cm = world.users["hefei_cm"]
    token = Token.objects.create(user=cm)
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token.key}")
    with CaptureQueriesContext(connection) as queries:
        user, _ = ScopedTokenAuthentication().authenticate(request)
        assert user.org_unit.code == world.hefei_grid.code
    assert len(queries) == 1
    with pytest.raises(AuthenticationFailed):
        ScopedTokenAuthentication().authenticate(RequestFactory().get("/", HTTP_AUTHORIZATION="Token nope"))
    cm.is_active = False
    cm.save()
    with pytest.raises(AuthenticationFailed):
        ScopedTokenAuthentication().authenticate(request)


def test_ancestor_of_level_by_path(world):
    grid = world.hefei_grid
    with CaptureQueriesContext(connection) as queries:
        assert grid.ancestor_of_level(OrgLevel.CITY) == world.hefei
    assert len(queries) == 1
    assert grid.ancestor_of_level(OrgLevel.COUNTY) == world.hefei_county
    assert grid.ancestor_of_level(OrgLevel.PROVINCE) == world.province
    assert grid.ancestor_of_level(OrgLevel.GRID) == grid
    assert world.hefei.ancestor_of_level(OrgLevel.COUNTY) is None  # below, not above
    assert world.wuhu_grid.ancestor_of_level(OrgLevel.CITY) == world.wuhu
