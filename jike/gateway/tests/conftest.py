from __future__ import annotations

import pytest

from jike.gateway.tests.helpers import Env


@pytest.fixture
def make_env(tmp_path):
    envs: list[Env] = []

    def factory(**kw):
        env = Env(tmp_path, **kw)
        envs.append(env)
        return env

    yield factory
    for env in envs:
        env.close()
