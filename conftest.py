"""Shared fixtures. Tests touching mounted data use ``pytest.mark.django_db(databases="__all__")``."""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def zibo(db: Any) -> Any:
    from sanbu.orgs.models import Jurisdiction

    return Jurisdiction.objects.get(code="370300")


@pytest.fixture
def dept(db: Any) -> Any:
    from sanbu.core.testing import make_department

    return make_department("淄博市公安局")


@pytest.fixture
def other_dept(db: Any) -> Any:
    from sanbu.core.testing import make_department

    return make_department("淄博市市场监督管理局")


@pytest.fixture
def steward(dept: Any) -> Any:
    from sanbu.core.testing import make_user

    return make_user("steward", department=dept, roles=("steward",))


@pytest.fixture
def authority(db: Any) -> Any:
    from sanbu.core.testing import make_department, make_user

    bureau = make_department("淄博市大数据局")
    return make_user("authority", department=bureau, roles=("authority",))


@pytest.fixture
def steward_actor(steward: Any) -> Any:
    from sanbu.core.testing import actor_of

    return actor_of(steward)


@pytest.fixture
def authority_actor(authority: Any) -> Any:
    from sanbu.core.testing import actor_of

    return actor_of(authority)
