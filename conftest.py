"""Root fixtures. Tests run on PostgreSQL (see Makefile `test`); the org world is per test."""

from __future__ import annotations

import pytest

from jike.core.testing import World, make_world


@pytest.fixture
def world(db: None) -> World:
    return make_world()
