"""成果登记 (PRJ-E3): the register lists accepted projects with their registered results and what is still
missing under the ruleset, to whoever sees the projects, and nothing to others."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sanbu.core.testing import PASSWORD, make_department, make_user
from sanbu.projects import evaluation
from sanbu.projects.tests.support import world
from sanbu.projects.tests.test_lifecycle_documents import accepted, approved

pytestmark = pytest.mark.django_db(databases="__all__")


def _client(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def test_register_lists_results_and_what_is_missing(db: Any) -> None:
    w = world()
    p = accepted(w, approved(w))
    evaluation.deliverable_register(actor=w.applicant, project_id=p.pk, kind="source_code",
                                    description="<b>源代码</b> 光盘一套")  # fmt: skip
    page = _client("w_auth").get("/projects/deliverables/").content.decode()
    assert p.name in page and "源代码" in page and "&lt;b&gt;源代码&lt;/b&gt;" in page
    for missing in ("设计文件", "测试文档", "数据资源", "数据接口"):
        assert missing in page
    assert "未约定" in page  # the contract does not yet give the results to the government
    only_code = _client("w_auth").get("/projects/deliverables/?kind=design").content.decode()
    assert p.name not in only_code
    own = _client("w_unit").get("/projects/deliverables/").content.decode()
    assert p.name in own


def test_register_is_not_shown_to_others(db: Any) -> None:
    w = world()
    p = accepted(w, approved(w))
    other = make_department("淄博市民政局")
    make_user("d_outsider", department=other, roles=("project_unit",))
    page = _client("d_outsider").get("/projects/deliverables/")
    assert page.status_code == 200 and p.name not in page.content.decode()
    make_user("d_nobody", department=other)
    assert _client("d_nobody").get("/projects/deliverables/").status_code == 404
