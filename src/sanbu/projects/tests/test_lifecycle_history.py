"""The project's history after approval gathers the change records of its lifecycle rows, in order."""

from __future__ import annotations

from typing import Any

import pytest

from sanbu.projects import construction, funds, selectors

from .support import world

pytestmark = pytest.mark.django_db(databases="__all__")


def test_history_after_approval_lists_each_step_with_who_and_in_order(db: Any) -> None:
    w = world()
    p = w.approved()
    other = w.approved(name="另一个项目")
    funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=100_000, purpose="首批")
    construction.construction_update(actor=w.applicant, project_id=p.pk, expected_version=None,
                                      responsible_person="王强", implementing_body="信息中心",
                                      supervisor_unit="监理公司")  # fmt: skip
    funds.tranche_schedule(actor=w.finance, project_id=other.pk, amount=1_000, purpose="其他项目")
    rows = selectors.lifecycle_history(p)
    assert [(r["label"], r["actor"]) for r in rows] == [
        ("安排拨付批次", w.finance.username), ("填报建设责任", w.applicant.username),
    ]  # fmt: skip
    assert rows[0]["seq"] < rows[1]["seq"]
