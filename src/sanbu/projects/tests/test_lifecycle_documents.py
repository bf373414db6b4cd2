"""The lifecycle documents (``projects.lifecycle_documents``) read back: the acceptance report (with the K2
snapshot frozen at the confirmation, even after the catalog changed), the funds notice of a paid tranche,
a recovery notice and the O&M eligibility list, each in Word (python-docx) and PDF (pdftotext, pdffonts)
with the project's name, the rule ids and the amounts the pages show.

``approved``, ``planned``, ``paid`` and ``accepted`` are shared with the page tests."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from docx import Document as Docx

from sanbu.catalog import services as catalog
from sanbu.core.actor import SYSTEM
from sanbu.core.documents import Document as Doc
from sanbu.core.documents import Paragraph, Table, to_docx, to_pdf
from sanbu.policy.rules.acceptance import MATERIALS
from sanbu.projects import acceptance, construction, funds, lifecycle_documents, operations, steps
from sanbu.projects.models import OperationsReview, Project, ProjectState, RecoveryNotice, Tranche

from .support import World, world

pytestmark = pytest.mark.django_db(databases="__all__")

ALL_MATERIALS = [m for m in MATERIALS if m != "sharing_confirmation"]
APPROVED_DAYS_AGO = 240  # ~8 months: room for a trial run (and, in the walk, overdue report periods)


def approved(w: World, days_ago: int = APPROVED_DAYS_AGO, **over: Any) -> Project:
    """An approved project affecting the unit's docked system, its approval moved back ``days_ago`` days."""
    p = w.approved(**{"systems": (w.system.pk,), "kind": "改建", **over})
    Project.objects.filter(pk=p.pk).update(decided_at=timezone.now() - timedelta(days=days_ago))
    return Project.objects.get(pk=p.pk)


def planned(w: World, p: Project, amount: int = 600_000) -> None:
    """This year's plan of the project's jurisdiction (created if missing) lists ``p`` and is issued."""
    year = steps.today().year
    plan = funds.plan_list(actor=w.authority)
    mine = next((x for x in plan if x.year == year and x.jurisdiction_id == p.jurisdiction_id), None)
    if mine is None:
        mine = funds.plan_create(actor=w.authority, jurisdiction=p.jurisdiction_id, year=year)
    funds.plan_add(actor=w.authority, plan_id=mine.pk, project_id=p.pk, amount=amount, expected_version=None)
    funds.plan_issue(
        actor=w.authority, plan_id=mine.pk, expected_version=None, document_number="淄数计〔2026〕1号"
    )


def started(w: World, p: Project) -> None:
    """Construction started a month after approval (so PRJ-F2 lets money through)."""
    day = timezone.localdate(Project.objects.get(pk=p.pk).decided_at) + timedelta(days=30)
    construction.construction_start(actor=w.applicant, project_id=p.pk, started_on=min(day, steps.today()))


def paid(w: World, p: Project, amount: int = 400_000, voucher: str = "CZ-2026-0042") -> Tranche:
    t = funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=amount, purpose="首批建设资金")
    return funds.tranche_pay(actor=w.finance, tranche_id=t.pk, expected_version=None, voucher=voucher)[0]


def accepted(w: World, p: Project) -> Project:
    """Trial run, materials, panel, confirmation, application and acceptance, through the services."""
    today = steps.today()
    acceptance.trial_run_start(actor=w.applicant, project_id=p.pk, started_on=today - timedelta(days=90))
    acceptance.trial_run_end(actor=w.applicant, project_id=p.pk, ended_on=today - timedelta(days=1))
    acceptance.acceptance_prepare(actor=w.applicant, project_id=p.pk, expected_version=None,
                                  final_inspection_done=True, dengbao_tested=True, materials=ALL_MATERIALS)  # fmt: skip
    acceptance.panel_record(actor=w.authority, project_id=p.pk, members=5, third_party=4,
                            names="张三、李四、王五、赵六、钱七")  # fmt: skip
    acceptance.sharing_confirm(actor=w.authority, project_id=p.pk, expected_version=None)
    acceptance.acceptance_apply(actor=w.applicant, project_id=p.pk)
    return acceptance.acceptance_decide(
        actor=w.authority, project_id=p.pk, expected_version=None, opinion="同意通过竣工验收"
    )[0]


def docx_text(body: bytes) -> str:
    doc = Docx(io.BytesIO(body))
    cells = [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    return "\n".join([*(par.text for par in doc.paragraphs), *cells])


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    return subprocess.run(
        ["pdftotext", "-", "-"], input=body, capture_output=True, check=True
    ).stdout.decode()


def pdf_fonts(body: bytes, tmp_path: Any) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()


def both(doc: Doc, tmp_path: Any) -> tuple[str, str, str]:
    """The Word text, the PDF text and the PDF's font list (pdftotext drops nothing but layout)."""
    pdf = to_pdf(doc)
    return docx_text(to_docx(doc)), " ".join(pdf_text(pdf).split()), pdf_fonts(pdf, tmp_path)


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="pdftotext/pdffonts (poppler-utils) are not installed",
)


def cjk_embedded(fonts: str) -> bool:
    """A Noto CJK font listed by pdffonts with its emb column "yes"."""
    cjk = [line.split() for line in fonts.splitlines() if "Noto" in line and "CJK" in line]
    return bool(cjk) and all("yes" in cols[-5:-2][0] for cols in cjk)


@pytest.fixture
def w(db: Any) -> World:
    return world()


@needs_poppler
def test_the_acceptance_report_holds_the_frozen_k2_snapshot_even_after_the_catalog_changed(
    w: World, tmp_path: Any
) -> None:
    p = accepted(w, approved(w, name="智慧教育<平台>"))
    assert p.state == ProjectState.ACCEPTED
    code = w.own.code
    # the promised resource is taken offline and renamed in the catalog afterwards: the report keeps what was
    catalog.resource_offline(actor=SYSTEM, resource_id=w.own.pk, expected_version=None, reason="数据质量整改")
    doc = lifecycle_documents.acceptance_report(Project.objects.get(pk=p.pk))
    word, pdf, fonts = both(doc, tmp_path)
    for text in (word, pdf):
        assert "智慧教育<平台>" in text and p.approval_number in text
        assert code in text and w.own.name in text and "已发布" in text  # the snapshot, not the catalog now
        assert "已下线" not in text
        assert w.system.name in text  # the systems of the snapshot
        for i in range(1, 6):
            assert f"PRJ-K{i}" in text
        assert "1,500,000 元" in text  # the approved amount, as the page shows it
        assert "同意通过竣工验收" in text and "张三、李四、王五、赵六、钱七" in text
        assert "数据共享情况确认书" in text  # the confirmation joined the materials
        assert w.authority.username in text
    assert cjk_embedded(fonts), fonts


def test_the_acceptance_report_reads_the_snapshot_as_sharing_confirm_writes_it(w: World) -> None:
    p = accepted(w, approved(w))
    snap = steps.lifecycle_of(p).confirmation
    assert isinstance(snap, dict)
    assert {"resources", "systems", "confirmed_at", "confirmed_by", "ruleset"} <= set(snap)
    doc = lifecycle_documents.acceptance_report(p)
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    resources, systems = tables[0], tables[1]
    assert resources.rows[0][0] == w.own.code and resources.rows[0][1] == w.own.name
    assert resources.rows[0][2] == "已发布" and resources.rows[0][3] == "是"
    assert systems.rows[0][0] == w.system.name and systems.rows[0][1] == "是"
    paragraph = next(b.text for b in doc.blocks if isinstance(b, Paragraph) and b.text.startswith("确认时间"))
    assert "T" not in paragraph.split("；")[0]  # a readable time, not an ISO timestamp
    assert snap["ruleset"] in paragraph


@needs_poppler
def test_the_funds_notice_of_a_paid_tranche(w: World, tmp_path: Any) -> None:
    p = approved(w)
    planned(w, p)
    started(w, p)
    t = paid(w, p)
    word, pdf, fonts = both(lifecycle_documents.funds_notice(t), tmp_path)
    for text in (word, pdf):
        assert p.name in text and "第 1 批" in text and "CZ-2026-0042" in text
        assert "400,000 元" in text and "1,500,000 元" in text
        for i in range(1, 5):
            assert f"PRJ-F{i}" in text
    assert cjk_embedded(fonts), fonts
    # a later payment does not change what this notice said was paid so far
    paid(w, p, amount=100_000, voucher="CZ-2026-0043")
    again = docx_text(to_docx(lifecycle_documents.funds_notice(Tranche.objects.get(pk=t.pk))))
    assert "CZ-2026-0043" not in again and "400,000 元" in again.split("累计拨付")[1][:40]


@needs_poppler
def test_the_recovery_notice_names_the_rule_and_the_amounts(w: World, tmp_path: Any) -> None:
    p = approved(w, days_ago=0)
    planned(w, p)
    paid(w, p, amount=300_000)
    funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=200_000, purpose="第二批")
    late = steps.today() + timedelta(days=400)  # never started: PRJ-F2 recovers and freezes
    (notice,) = funds.recovery_sweep(actor=w.finance, jurisdiction=p.jurisdiction_id, on=late)
    assert notice.rule == "PRJ-F2" and notice.recover_amount == 300_000 and notice.frozen_amount == 200_000
    word, pdf, fonts = both(
        lifecycle_documents.recovery_notice(RecoveryNotice.objects.get(pk=notice.pk)), tmp_path
    )
    for text in (word, pdf):
        assert p.name in text and notice.number in text and "PRJ-F2" in text
        assert "300,000 元" in text and "200,000 元" in text and "解除冻结" not in text
    assert cjk_embedded(fonts), fonts
    # force majeure recognised on review: the reprint says the freeze was lifted, and why
    funds.force_majeure_record(actor=w.authority, project_id=p.pk, reason="特大洪涝灾害")
    funds.freeze_lift(actor=w.finance, project_id=p.pk, reason="经复核认定不可抗力", on=late)
    word, pdf, _ = both(
        lifecycle_documents.recovery_notice(RecoveryNotice.objects.get(pk=notice.pk)), tmp_path
    )
    for text in (word, pdf):
        assert "解除冻结" in text and "经复核认定不可抗力" in text and notice.number in text


@needs_poppler
def test_the_operations_list_shows_each_system_and_why(w: World, tmp_path: Any) -> None:
    year = steps.today().year
    operations.operations_request(
        actor=w.applicant, system_id=w.system.pk, year=year, requested_budget=120_000
    )
    rows = operations.operations_check(actor=w.authority, jurisdiction="370300", year=year)
    assert [r.system_id for r in rows] == [w.system.pk]
    reviews = list(OperationsReview.objects.filter(year=year).select_related("system", "system__department"))
    word, pdf, fonts = both(lifecycle_documents.operations_list("淄博市", year, reviews), tmp_path)
    failed = [d["rule_id"] for d in reviews[0].decisions if d["outcome"] == "block"]
    verdict = "符合" if reviews[0].eligible else "不符合"
    for text in (word, pdf):
        assert w.system.name in text and w.unit.name in text and f"{year}年度" in text
        assert "120,000" in text and verdict in text
        for rule in failed:
            assert rule in text
    assert cjk_embedded(fonts), fonts
