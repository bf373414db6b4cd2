"""Government networks are closed: no page or API document pulls code from outside the platform."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs", "/login/"])
def test_pages_load_nothing_from_outside(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "/static/" in html


def test_no_template_references_a_cdn() -> None:
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(p)
        for p in root.rglob("*.html")
        if re.search(r"https?://(cdn|unpkg|cdnjs|fonts\.googleapis)", p.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db
def test_login_page_shows_no_configuration() -> None:
    html = Client().get("/login/").content.decode()
    for secret in ("sanbu-demo", "DEBUG", "sqlite", "SECRET", "admin_dsj", "gaj_steward"):
        assert secret not in html


@pytest.mark.django_db
def test_chinese_by_default_even_for_an_english_browser() -> None:
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html and "登录" in html


@pytest.mark.django_db
def test_english_when_the_user_chooses_it() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    html = client.get("/login/").content.decode()
    assert 'lang="en"' in html
