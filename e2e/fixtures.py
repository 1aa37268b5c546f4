"""Browser-test fixtures (loaded for the whole suite by the root conftest): Playwright driving Debian's Chromium against pytest-django's live server.

Playwright never downloads a browser here; it launches /usr/bin/chromium (installed by
`make browser`). Each test gets a fresh context; `login(page, user)` signs in through the form.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("JIKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser(django_db_setup: None) -> Iterator[Any]:
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django's connections are per context, and Playwright's event loop gives this thread a new one:
    # the new connection objects would lack the serialized test data that `serialized_rollback`
    # restores after an earlier transactional test flushed the seeds. Carry it over.
    saved = {c.alias: c._test_serialized_contents for c in connections.all() if hasattr(c, "_test_serialized_contents")}
    with sync_playwright() as pw:
        for alias, contents in saved.items():
            connections[alias]._test_serialized_contents = contents  # type: ignore[attr-defined]
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


def login(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#current-user")
