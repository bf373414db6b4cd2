"""Helpers for tests: departments with valid codes, users with roles, actors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, transaction

from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.identifiers import make_uscc
from sanbu.orgs.models import Department, Profile, Role, RoleAssignment, RoleScope
from sanbu.orgs.selectors import actor_for_user
from sanbu.orgs.services import department_create

_seq = itertools.count(1)
PASSWORD = "sanbu-test-pass-1"


def make_department(
    name: str | None = None, jurisdiction: str = "370300", authority: str = "11"
) -> Department:
    n = next(_seq)
    uscc = make_uscc(authority, jurisdiction, f"{70000000 + n:08d}")
    return department_create(
        actor=SYSTEM, name=name or f"测试部门{n}", uscc=uscc, jurisdiction=jurisdiction
    ).department


def make_user(
    username: str | None = None,
    *,
    department: Department | None = None,
    roles: tuple[str, ...] = (),
    jurisdiction: str = "370300",
    superuser: bool = False,
) -> Any:
    """A user of ``department``; department roles scope to it, jurisdiction roles to ``jurisdiction``."""
    User = get_user_model()
    username = username or f"user{next(_seq)}"
    if superuser:
        user = User.objects.create_superuser(username=username, password=PASSWORD)
    else:
        user = User.objects.create_user(username=username, password=PASSWORD)
    Profile.objects.create(user=user, department=department, display_name=username)
    for code in roles:
        role = Role.objects.get(code=code)
        if role.scope_kind == RoleScope.DEPARTMENT:
            assert department is not None, f"role {code} needs a department"
            RoleAssignment.objects.create(user=user, role=role, department=department)
        else:
            RoleAssignment.objects.create(user=user, role=role, jurisdiction_id=jurisdiction)
    return user


def actor_of(user: Any, request_id: str = "test") -> Actor:
    return actor_for_user(user, request_id=request_id)


@contextmanager
def rolled_back(django_db_blocker: Any) -> Iterator[None]:
    """An outer transaction on every database, rolled back on exit: data built inside it once for a whole
    test module (a module-scoped fixture) is seen by each test of the module, each of which runs in its own
    savepoint (pytest-django's ``db``), as Django's ``TestCase.setUpTestData`` does for a class."""
    with django_db_blocker.unblock():
        atomics = [transaction.atomic(using=alias) for alias in connections]
        for a in atomics:
            a.__enter__()
        try:
            yield
        finally:
            for alias in connections:
                transaction.set_rollback(True, using=alias)
            for a in reversed(atomics):
                a.__exit__(None, None, None)
