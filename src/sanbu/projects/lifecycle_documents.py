"""Documents of the lifecycle after approval, each built from what was decided and stored, never
recomputed (a reprint says what was decided then): the acceptance report (gate K record and the frozen
data-sharing confirmation), the funds notice of a paid tranche (its gate F record), the recovery notice
(PRJ-F2/F4, with the decisions it was issued on) and the O&M eligibility list of a year (gate O rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from sanbu.core.documents import DecisionsTable, Document, Heading, KeyValues, Paragraph, Table
from sanbu.policy.rules.acceptance import MATERIALS

from .documents import _yuan
from .models import (
    EntryKind,
    GateRecord,
    LedgerEntry,
    OperationsReview,
    Project,
    ProjectState,
    RecoveryNotice,
    Tranche,
    TrancheState,
)
from .steps import lifecycle_of


def _issuer(project: Project, body: str = "大数据局") -> str:
    return f"{project.jurisdiction.name}{body}"


def _gate(project: Project, gate: str) -> GateRecord | None:
    return project.gate_records.filter(gate=gate).order_by("-id").first()


def _when(stamp: Any, day: Any) -> str:
    """The confirmation's local time as ``2026-11-25 15:02`` (the snapshot stores ISO text), else its date."""
    if isinstance(stamp, str) and stamp:
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            return stamp
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    return str(day or "—")


def _confirmation_rows(snapshot: dict[str, Any] | None) -> tuple[Table | Paragraph, ...]:
    """The frozen K2 snapshot as two tables: promised resources and systems."""
    if not snapshot:
        return (Paragraph("尚未进行数据共享情况确认。"),)
    resources = tuple(
        (str(r.get("code", "")), str(r.get("name", "")), str(r.get("state_label") or r.get("state", "")),
         "是" if r.get("mounted") else "否")
        for r in snapshot.get("resources", [])
    )  # fmt: skip
    systems = tuple(
        (str(s.get("name", "")), "是" if s.get("docked") else "否", str(s.get("reason", "")))
        for s in snapshot.get("systems", [])
    )
    ruleset = str(snapshot.get("ruleset", ""))
    if snapshot.get("ruleset_version") not in (None, ""):
        ruleset += f" 第 {snapshot['ruleset_version']} 版"
    out: list[Table | Paragraph] = [
        Paragraph(
            f"确认时间：{_when(snapshot.get('confirmed_at'), snapshot.get('date'))}；"
            f"确认人：{snapshot.get('confirmed_by', '') or '—'}；规则集：{ruleset or '—'}。"
            "以下为确认时平台记录的事实（此后目录或系统清单的变化不改变本确认）。"
        ),
        Table(
            ("资源代码", "资源名称", "目录状态", "已挂接"),
            resources or (("—", "无", "—", "—"),),
            widths=(3, 4, 1.5, 1),
        ),
    ]
    if systems:
        out.append(Table(("信息系统", "已对接共享平台", "依据"), systems, widths=(3, 1.5, 5)))
    return tuple(out)


def acceptance_report(project: Project) -> Document:
    """竣工验收报告 of an accepted project."""
    assert project.state == ProjectState.ACCEPTED
    lc = lifecycle_of(project)
    gate_k = _gate(project, "K")
    materials = "；".join(MATERIALS.get(m, m) for m in lc.materials) or "无"
    blocks: list[Any] = [
        Paragraph(
            f"“{project.name}”项目（立项批复 {project.approval_number}）于 {lc.accepted_on} 通过竣工验收。"
            "验收依据数据共享情况确认结果和平台记录的各项关口判定作出，详见下文。"
        ),
        Heading("项目基本情况", 1),
        KeyValues(
            (
                ("项目名称", project.name),
                ("项目单位", project.unit.name),
                ("核定投资", _yuan(project.approved_amount)),
                ("项目责任人", lc.responsible_person or "—"),
                ("实施机构", lc.implementing_body or "—"),
                ("监理单位", lc.supervisor_unit or "—"),
                (
                    "试运行",
                    f"{lc.trial_run_started or '—'} 至 {lc.trial_run_ended or '—'}"
                    f"（{'稳定正常' if lc.trial_run_normal else '存在问题'}）",
                ),
                ("验收申请日期", str(lc.applied_on or "—")),
                (
                    "验收小组",
                    f"{lc.panel_members} 人，其中第三方专家 {lc.panel_third_party} 人：{lc.panel_names or '—'}",
                ),
                ("验收材料", materials),
            )
        ),
        Heading("数据共享情况确认（PRJ-K2）", 1),
        *_confirmation_rows(lc.confirmation),
        Heading("竣工验收关口（K）判定", 1),
        DecisionsTable(tuple(gate_k.decisions if gate_k else ())),
    ]
    if lc.acceptance_opinion:
        blocks += [Heading("验收意见", 1), Paragraph(lc.acceptance_opinion)]
    blocks.append(
        Paragraph("请项目单位自验收通过之日起一个月内将验收报告报送备案，并在 6 至 12 个月内开展绩效自评价。")
    )
    return Document(
        title=f"{project.name}竣工验收报告", number=f"验收〔{lc.accepted_on.year if lc.accepted_on else ''}〕{project.pk}号",
        issuer=_issuer(project), date=lc.accepted_on, blocks=tuple(blocks),
        footer=f"{project.approval_number}　项目编号 {project.pk}",
    )  # fmt: skip


def funds_notice(tranche: Tranche) -> Document:
    """资金拨付通知 of a paid tranche, with the gate F decisions it was paid on."""
    assert tranche.state == TrancheState.PAID
    project = tranche.project
    payment = tranche.entries.filter(kind=EntryKind.PAYMENT).first()
    records = list(project.gate_records.filter(gate="F"))
    # the F record written in the payment's own transaction: the one nearest to the ledger entry
    record = (
        min(records, key=lambda r: abs((r.created_at - payment.created_at).total_seconds()))
        if payment and records
        else None
    )
    entries = LedgerEntry.objects.filter(project=project)
    if payment is not None:  # as it stood when this tranche was paid: a reprint says the same
        entries = entries.filter(pk__lte=payment.pk)
    paid = sum(e.amount for e in entries if e.kind == EntryKind.PAYMENT)
    back = sum(e.amount for e in entries if e.kind != EntryKind.PAYMENT)
    blocks: list[Any] = [
        Paragraph(f"{project.unit.name}："),
        Paragraph(
            f"根据年度建设计划和项目建设进度，经资金拨付关口（F）审核通过，拨付“{project.name}”项目第 {tranche.number} 批资金"
            f" {_yuan(tranche.amount)}。请按批复内容使用资金，专款专用。"
        ),
        KeyValues(
            (
                ("项目名称", project.name),
                ("立项批复", project.approval_number),
                ("核定投资", _yuan(project.approved_amount)),
                ("本批金额", _yuan(tranche.amount)),
                (
                    "资金性质",
                    "启动资金（后补助项目考核验收前拨付，PRJ-F4）" if tranche.startup else "项目建设资金",
                ),
                ("拨付依据", tranche.purpose or "—"),
                ("拨付凭证号", tranche.voucher or "—"),
                ("拨付日期", str(tranche.paid_on)),
                ("累计拨付（扣除收回、交回）", _yuan(paid - back)),
            )
        ),
        Heading("资金拨付关口（F）判定", 1),
        DecisionsTable(tuple(record.decisions if record else ())),
    ]
    return Document(
        title="资金拨付通知", number=f"拨付〔{tranche.paid_on.year if tranche.paid_on else ''}〕{tranche.pk}号",
        issuer=_issuer(project, "财政局"), date=tranche.paid_on, blocks=tuple(blocks),
        footer=f"{project.approval_number}　第 {tranche.number} 批",
    )  # fmt: skip


def recovery_notice(notice: RecoveryNotice) -> Document:
    """资金收回通知: why (the rule and its decisions), what is frozen and what must be returned."""
    project = notice.project
    blocks: list[Any] = [
        Paragraph(f"{project.unit.name}："),
        Paragraph(
            f"经核查，你单位“{project.name}”项目：{notice.reason.rstrip('。')}。依据 {notice.rule}，"
            f"冻结尚未拨付的资金 {_yuan(notice.frozen_amount)}"
            + (f"，并收回已拨付资金 {_yuan(notice.recover_amount)}" if notice.recover_amount else "")
            + "。如有不可抗力等正当理由，请持相关证明材料向大数据局申请认定。"
        ),
        KeyValues(
            (
                ("项目名称", project.name),
                ("立项批复", project.approval_number),
                ("核定投资", _yuan(project.approved_amount)),
                ("冻结金额", _yuan(notice.frozen_amount)),
                ("收回金额", _yuan(notice.recover_amount)),
                ("通知日期", str(notice.issued_on)),
            )
        ),
        Heading("判定依据", 1),
        DecisionsTable(tuple(notice.decisions)),
    ]
    if notice.lifted_on is not None:  # reprinted after the freeze was lifted: say so, beside the original
        blocks += [
            Heading("解除冻结", 1),
            Paragraph(
                f"{notice.lifted_on} 解除冻结：{notice.lift_reason}。被冻结的资金恢复为待拨付，已收回的资金不再退回。"
            ),
        ]
    return Document(
        title="资金收回通知", number=notice.number, issuer=_issuer(project, "财政局"), date=notice.issued_on,
        blocks=tuple(blocks), footer=f"{notice.number}　项目编号 {project.pk}",
    )  # fmt: skip


def _failed(decisions: Sequence[dict[str, Any]]) -> str:
    bad = [f"{d.get('rule_id')}：{d.get('reason', '')}" for d in decisions if d.get("outcome") == "block"]
    return "；".join(bad) or "—"


def operations_list(jurisdiction_name: str, year: int, reviews: Sequence[OperationsReview]) -> Document:
    """运维经费资格清单 of a year: every checked system, eligible or not and why (gate O)."""
    checked = [r for r in reviews if r.eligible is not None]
    eligible = [r for r in checked if r.eligible]
    rows = tuple(
        (r.system.department.name, r.system.name, "符合" if r.eligible else "不符合",
         f"{r.requested_budget:,}", _failed(r.decisions))
        for r in sorted(checked, key=lambda r: (not r.eligible, r.system.department.name, r.system.name))
    )  # fmt: skip
    when = max((r.checked_at for r in checked if r.checked_at), default=None)
    day: date | None = timezone.localtime(when).date() if when else None
    blocks: list[Any] = [
        Paragraph(
            f"依据运维经费关口（O）对 {year} 年度在运行的信息系统逐一核查（按要求共享数据、不重复采集、密码应用和网络安全、"
            f"政务外网和政务云部署、对接共享平台）。共核查 {len(checked)} 个系统，符合安排运维经费条件 {len(eligible)} 个，"
            f"不符合 {len(checked) - len(eligible)} 个；不符合的系统不安排运维经费，整改后重新核查。"
        ),
        Table(
            ("部门", "信息系统", "结论", "申请金额（元）", "不符合的规则及原因"),
            rows or (("—", "无", "—", "—", "—"),),
            widths=(2.5, 3, 1.2, 1.8, 6),
        ),
    ]
    return Document(
        title=f"{year}年度信息系统运维经费资格清单", number=f"运维〔{year}〕清单",
        issuer=f"{jurisdiction_name}大数据局", date=day, blocks=tuple(blocks),
        footer=f"{jurisdiction_name} {year} 年度运维经费资格清单",
    )  # fmt: skip
