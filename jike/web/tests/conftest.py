import pytest


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # The world fixture creates a dozen users; the production hasher would dominate test time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests compare figures right after changing data; the cache has its own test.
    settings.JIKE_DASHBOARD_CACHE_SECONDS = 0
