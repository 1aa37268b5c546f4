"""Root fixtures. Tests run on PostgreSQL (see Makefile `test`); the org world is per test."""

from __future__ import annotations

from typing import Any

import pytest

from jike.core.testing import World, make_world

pytest_plugins = ["e2e.fixtures"]


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Transactional tests (browser tests, threads) flush the database, seeds included: they get
    `serialized_rollback` (the migrated data is restored for each) and the `transactional` marker,
    which `make test` runs as a separate session after the others."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("transaction"):
            item.add_marker(pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}), append=False)
            item.add_marker(pytest.mark.transactional)


@pytest.fixture(autouse=True)
def _clear_cache(settings: Any) -> Any:
    # Each test gets its own in-memory cache: the shared file cache of the settings would mix
    # parallel workers, and entries keyed by database state must not outlive a rolled-back test.
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    # LocaleMiddleware activates a request's language in the test's thread and nothing
    # deactivates it: a test that browsed in English would leave later ones in English.
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 costs ~1 s per user on a busy 2-core machine; tests need no strong hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: None) -> World:
    return make_world()
