"""Edits in the Django admin (roles, assignments, accounts) are written to the audit chain."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sanbu.core.audit import verify_chain
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import make_user
from sanbu.orgs.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db: Any) -> Client:
    c = Client()
    c.force_login(make_user("root", superuser=True))
    return c


def test_role_edit_is_audited(admin_client: Client) -> None:
    role = Role.objects.get(code="consumer")
    response = admin_client.post(
        f"/admin/orgs/role/{role.pk}/change/",
        {"code": "consumer", "name": "数据使用部门（改）", "scope_kind": "department", "actions": '["catalog.browse"]',
         "description": role.description},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    rec = ChangeRecord.objects.filter(action="admin.orgs.role.change").get()
    assert rec.actor_username == "root" and rec.before and rec.before["name"] == "数据使用部门" and rec.after
    assert rec.after["name"] == "数据使用部门（改）"
    assert verify_chain()[1] is None


def test_user_edit_never_records_the_password_hash(admin_client: Client) -> None:
    user = make_user("clerk")
    response = admin_client.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    rec = ChangeRecord.objects.get(action="admin.auth.user.delete")
    assert rec.before and rec.before["username"] == "clerk" and "password" not in rec.before
