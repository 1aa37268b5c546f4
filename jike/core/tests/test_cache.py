"""Versioned caching (jike.core.cache): the audit trail is the data version of its subjects."""

from __future__ import annotations

import pytest
from django.db import transaction

from jike.core import audit
from jike.core import cache as data_cache

pytestmark = pytest.mark.django_db


def test_every_audited_write_changes_its_subjects_version(world):
    actor, hefei, wuhu = world.users["admin"], world.hefei, world.wuhu
    before = data_cache.subject_version("core.orgunit", [hefei.pk])
    other = data_cache.subject_version("core.orgunit", [wuhu.pk])
    assert data_cache.subject_version("core.orgunit", [hefei.pk]) == before  # stable while nothing changes
    audit.record(actor, "test.touch", actor, {"x": [1, 2]}, subject=hefei)
    after = data_cache.subject_version("core.orgunit", [hefei.pk])
    assert after != before
    assert data_cache.subject_version("core.orgunit", [wuhu.pk]) == other  # another subject is untouched
    # A group's version changes when any member of the group changes.
    group = data_cache.subject_version("core.orgunit", [hefei.pk, wuhu.pk])
    audit.record(actor, "test.touch", actor, {"x": [2, 3]}, subject=wuhu)
    assert data_cache.subject_version("core.orgunit", [hefei.pk, wuhu.pk]) != group


def test_a_rolled_back_write_leaves_the_version_as_it_was(world):
    before = data_cache.subject_version("core.orgunit", [world.hefei.pk])
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(world.users["admin"], "test.touch", world.users["admin"], {}, subject=world.hefei)
        assert data_cache.subject_version("core.orgunit", [world.hefei.pk]) != before
        raise RuntimeError
    assert data_cache.subject_version("core.orgunit", [world.hefei.pk]) == before


def test_cached_keys_by_parts():
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return ""  # an empty result is cached too

    assert data_cache.cached(["v1", "a"], compute, 60) == ""
    assert data_cache.cached(["v1", "a"], compute, 60) == ""
    assert data_cache.cached(["v2", "a"], compute, 60) == ""
    assert data_cache.cached(["v1", "b"], compute, 60) == ""
    assert len(calls) == 3


def test_scope_key(world):
    users = world.users
    assert data_cache.scope_key(users["province"]) == "all"
    assert data_cache.scope_key(users["hefei_city"]) == "org:" + users["hefei_city"].org_unit.path
    assert data_cache.scope_key(users["hefei_cm"]) == f"team:{users['hefei_cm'].pk}"
