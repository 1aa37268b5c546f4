import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # make_world creates a dozen users; the default PBKDF2 work factor makes that take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
