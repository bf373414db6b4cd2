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
