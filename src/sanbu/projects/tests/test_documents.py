"""The approval document lists the decisions gate A recorded, in Word and PDF, for those who may see it."""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import pytest
from django.test import Client
from docx import Document as Docx

from sanbu.core.testing import make_department, make_user
from sanbu.projects import services
from sanbu.projects.models import ExpertAssignment, Project

from .support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")


def approved(w: World) -> Project:
    p = w.submitted(name="智慧教育<script>平台")
    services.expert_draw(actor=w.authority, project_id=p.pk, expected_version=p.version, size=3, seed="d0c")
    for a in ExpertAssignment.objects.filter(project=p):
        services.expert_score(actor=w.expert_actors[a.expert_id], assignment_id=a.pk, score=90, conclusion="agree",
                              opinion="同意")  # fmt: skip
    services.centre_opinion_record(actor=w.authority, project_id=p.pk, expected_version=None,
                                   opinion="favourable", text="同意备案")  # fmt: skip
    return services.project_approve(actor=w.authority, project_id=p.pk, expected_version=None, note="同意")[0]


def login(username: str) -> Client:
    from sanbu.core.testing import PASSWORD

    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def test_the_docx_lists_every_gate_a_decision_and_the_approval_number(db: Any) -> None:
    w = world()
    p = approved(w)
    r = login("w_unit").get(f"/projects/{p.pk}/approval.docx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    doc = Docx(io.BytesIO(r.content))
    text = "\n".join(par.text for par in doc.paragraphs) + "\n".join(
        cell.text for t in doc.tables for row in t.rows for cell in row.cells
    )
    assert p.approval_number in text and "智慧教育<script>平台" in text
    for i in range(1, 7):
        assert f"PRJ-A{i}" in text
    assert "d0c" in text  # the draw's seed


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_is_chinese_text_not_boxes(db: Any) -> None:
    w = world()
    p = approved(w)
    r = login("w_auth").get(f"/projects/{p.pk}/approval.pdf")
    body = r.content
    assert r.status_code == 200 and body.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=body, capture_output=True, check=True
    ).stdout.decode()
    assert "立项的批复" in text and p.approval_number in text and "PRJ-A5" in text


def test_no_document_before_approval_or_for_another_unit(db: Any) -> None:
    w = world()
    p = w.submitted()
    assert login("w_unit").get(f"/projects/{p.pk}/approval.pdf").status_code == 404
    done = approved(w)
    make_user("other_unit", department=make_department("别的局"), roles=("project_unit",))
    assert login("other_unit").get(f"/projects/{done.pk}/approval.docx").status_code == 404
    assert login("w_unit").get(f"/projects/{done.pk}/approval.exe").status_code == 404
