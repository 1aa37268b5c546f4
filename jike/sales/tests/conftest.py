import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # make_world hashes a dozen passwords; PBKDF2 at full strength makes every test ~10 s slower.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    # The board/forecast cache is keyed by a database version that rolls back between tests.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
