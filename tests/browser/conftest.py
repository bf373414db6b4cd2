"""What the browser walks share: Debian's Chromium through Playwright (TOOLCHAIN.md) and a ``walk``, a
page on ``live_server`` with the steps every walk takes (log in and out, the main navigation, optional
screenshots of each step with ``SANBU_SCREENSHOTS=DIR``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


class Walk:
    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base = base_url
        self.shots = os.environ.get("SANBU_SCREENSHOTS", "")
        self.n = 0

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, name: str) -> None:
        if self.shots:
            self.n += 1
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(self.shots) / f"{self.n:02d}-{name}.png"), full_page=True)

    def login(self, username: str, password: str) -> None:
        from playwright.sync_api import expect

        self.go("/login/")
        expect(self.page.get_by_label("用户名")).to_be_visible()
        self.shot("login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.get_by_role("heading", name="工作台")).to_be_visible()

    def logout(self) -> None:
        from playwright.sync_api import expect

        self.page.get_by_role("button", name="退出").click()
        expect(self.page.get_by_label("用户名")).to_be_visible()

    def nav(self, label: str) -> None:
        self.page.get_by_role("navigation", name="主导航").get_by_role("link", name=label).click()


@pytest.fixture
def walk(live_server: Any, browser: Any) -> Iterator[Walk]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield Walk(context.new_page(), live_server.url)
    finally:
        context.close()


@pytest.fixture(scope="session", autouse=True)
def _no_sessions_left_on_the_test_database(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The live server's request threads end with their connections open (each is thread-local, so
    nothing closes it), and PostgreSQL would then refuse to drop the test database at the end of the
    run. Torn down just before that drop, when every session left on it is such a leftover."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
        for alias in connections:
            conn = connections[alias]
            if conn.vendor == "postgresql":
                with conn._nodb_cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                        [conn.settings_dict["NAME"]],
                    )
