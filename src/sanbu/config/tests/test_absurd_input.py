"""Absurd numbers and characters in URLs and bodies get a clear 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sanbu.core.testing import make_department, make_user

HUGE = "100000000000000000000"


@pytest.fixture
def client(db: Any) -> Client:
    dept = make_department("淄博市公安局")
    user = make_user("absurd", department=dept, roles=("steward",))
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize(
    "url",
    [
        f"/api/catalog/resources?offset={HUGE}",
        "/api/catalog/resources?offset=1e20",
        f"/api/catalog/resources?department_id={HUGE}",
        f"/api/catalog/resources?limit={HUGE}",
        f"/api/catalog/resources/{HUGE}",
        f"/api/catalog/resources/1/diff?old={HUGE}&new=1",
        f"/api/catalog/elements/{HUGE}",
        f"/api/catalog/duplicates?department_id={HUGE}",
        f"/api/catalog/export?department_id={HUGE}",
        f"/catalog/?page={HUGE}",
        "/catalog/?page=1e20",
        f"/catalog/?department={HUGE}",
        f"/catalog/resources/{HUGE}/",
    ],
)
def test_huge_numbers_are_refused_cleanly(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    if url.startswith("/api/") and response.status_code != 200:
        assert response.json()["code"] in (
            "request.invalid",
            "catalog.resource.not_found",
            "catalog.element.not_found",
            "orgs.department.not_found",
        )


@pytest.mark.django_db(databases="__all__")
def test_huge_ids_in_bodies_are_refused(client: Client) -> None:
    response = client.post(
        "/api/catalog/items/1/link", {"element_id": int(HUGE)}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "request.invalid"
    body = {
        "name": "x", "catalog_class": "3", "subclass": "业务", "summary": "s", "format": "database",
        "share_type": "unconditional", "share_method": "api", "update_cycle": "daily", "department_id": int(HUGE),
    }  # fmt: skip
    assert client.post("/api/catalog/resources", body, content_type="application/json").status_code == 400


@pytest.mark.django_db(databases="__all__")
def test_overlong_text_and_nul_are_field_errors(client: Client) -> None:
    body = {
        "name": "超长条件", "catalog_class": "3", "subclass": "业务", "summary": "s", "format": "database",
        "share_type": "conditional", "share_condition": "条" * 400, "share_method": "api", "update_cycle": "daily",
        "source_system": "a\x00b", "items": [{"name": "字段", "data_type": "C", "length": 10**12}],
    }  # fmt: skip
    response = client.post("/api/catalog/resources", body, content_type="application/json")
    assert response.status_code == 400
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "300" in fields["share_condition"] and "空字符" in fields["source_system"]
    assert "数据长度" in fields["items[1].length"]
