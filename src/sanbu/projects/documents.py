"""The approval document (立项批复): the decisions gate A recorded when the project was approved, the
review that led there and the facts of the application, as .docx and PDF from one ``Document``.

It is built from the stored ``GateRecord`` s and review rows, not recomputed: the document says what was
decided at approval even if the catalog or the ruleset has changed since.
"""

from __future__ import annotations

from django.utils import timezone

from sanbu.core.documents import DecisionsTable, Document, Heading, KeyValues, Paragraph, Table
from sanbu.policy.rules.projects import ROUTES

from . import selectors
from .models import Conclusion, Direction, Project, ProjectState


def _yuan(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,} 元（{amount / 10000:,.2f} 万元）"


def approval_document(project: Project) -> Document:
    """The approval of ``project`` (which must be approved)."""
    assert project.state in (ProjectState.APPROVED, ProjectState.ACCEPTED)
    gate_a = selectors.gate_record(project, "A")
    gate_s = selectors.gate_record(project, "S")
    panel = selectors.panel(project)
    links = list(project.resources.select_related("resource").order_by("direction", "id"))
    uses = [f"{x.resource.name}（{x.resource.code}）" for x in links if x.direction == Direction.USE]
    provides = [f"{x.resource.name}（{x.resource.code}）" for x in links if x.direction == Direction.PROVIDE]
    provides += [f"{name}（待编目）" for name in project.provides_new or []]
    decided = timezone.localtime(project.decided_at).date() if project.decided_at else None
    blocks: list = [
        Paragraph(f"{project.unit.name}：" if project.unit_id else ""),
        Paragraph(
            f"你单位申报的“{project.name}”项目，经审核符合立项条件，同意立项。核定投资 {_yuan(project.approved_amount)}，"
            f"资金来源：{project.funding_source or '—'}。请严格按照批复内容组织实施，落实数据共享承诺，"
            "按规定报送建设进度，竣工后申请验收。"
        ),
        Heading("项目基本情况", 1),
        KeyValues(
            (
                ("项目名称", project.name),
                ("项目单位", project.unit.name),
                ("建设性质", project.kind),
                ("项目类别", project.category),
                ("申报金额", _yuan(project.amount)),
                ("核定金额", _yuan(project.approved_amount)),
                ("计划年度", str(project.plan_year)),
                ("评审路径", ROUTES.get(project.route, project.route or "—")),
                ("适用规则集", f"{project.ruleset}（版本 {gate_a.ruleset_version if gate_a else 0}）"),
            )
        ),
        Heading("数据共享承诺", 1),
        KeyValues(
            (("将使用的目录资源", "；".join(uses) or "无"), ("将提供的资源", "；".join(provides) or "无"))
        ),
        Heading("评审情况", 1),
    ]
    if panel:
        blocks.append(Table(
            ("专家", "工作单位", "保密专家", "评分", "结论"),
            tuple((a.expert.name, a.expert.employer, "是" if a.secrecy else "否",
                   "" if a.score is None else str(a.score),
                   Conclusion(a.conclusion).label if a.conclusion else "") for a in panel),
            widths=(2, 4, 1.5, 1.2, 2),
        ))  # fmt: skip
        draw = panel[0].draw
        blocks.append(
            Paragraph(
                f"评审专家由平台随机抽取（抽取编号 {draw.pk}，随机种子 {draw.seed}，回避 {len(draw.excluded)} 人）。"
            )
        )
    else:
        blocks.append(Paragraph("本项目按评审路径由项目单位自行组织审查。"))
    if project.joint_conclusion:
        blocks.append(
            Paragraph(
                f"联合评审（{project.joint_participants}）：{project.get_joint_conclusion_display()}。{project.joint_note}"
            )
        )
    blocks.append(
        Paragraph(
            f"大数据中心备案意见：{project.get_centre_opinion_display()}。{project.centre_opinion_text}"
        )
    )
    blocks.append(Heading("立项关口（A）判定", 1))
    blocks.append(DecisionsTable(tuple(gate_a.decisions if gate_a else ())))
    if gate_s is not None:
        blocks.append(Heading("申报关口（S）判定", 1))
        blocks.append(DecisionsTable(tuple(gate_s.decisions)))
    if project.decision_note:
        blocks.append(Heading("审批意见", 1))
        blocks.append(Paragraph(project.decision_note))
    return Document(
        title=f"关于{project.name}立项的批复",
        number=project.approval_number,
        issuer=f"{project.jurisdiction.name}大数据局",
        date=decided,
        blocks=tuple(blocks),
        footer=f"{project.approval_number}　项目编号 {project.pk}",
    )
