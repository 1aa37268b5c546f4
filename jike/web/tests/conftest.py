import pytest


@pytest.fixture(autouse=True)
def no_dashboard_cache(settings):
    # Tests compare figures right after changing data; the cache has its own test.
    settings.JIKE_DASHBOARD_CACHE_SECONDS = 0
