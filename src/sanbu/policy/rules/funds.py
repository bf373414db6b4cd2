"""Gate F (拨款, PRJ-F1..F4) and the construction checks (建设实施, PRJ-C1..C4): pure rules over
``FundsFacts`` / ``ConstructionFacts`` (``lifecycle_facts_f``) and a ruleset.

Each rule is ``(facts, ruleset) -> Decision`` in the style of ``rules.projects``: rule id, outcome, a
Chinese reason, the failed fact, the remedy, the source (``source_of``) and, where a ruleset parameter
decided, the parameter with its citation in ``extra["parameters"]``. ``evaluate_f`` / ``evaluate_c`` run
the rules of ``GATE_F`` / ``CHECKS_C`` that the ruleset enables, in order.

The ledger (PRJ-F1, "funds follow approval"): only tranches with ``paid_on`` count as paid; a request is
refused when it exceeds the approved amount minus what was paid, so no sequence of allowed requests can
pay more than was approved.

Report periods (PRJ-C2) are calendar quarters, half-years or years (``Cadence``), labelled ``2026-Q3``,
``2026-H1``, ``2026``. A period is due once it has ended (its last day is before ``today``), from the period
that contains the approval date up to the one in which construction ended; its report is on time when
filed by the period's last day plus ``projects.report_grace_days`` calendar days.
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..calendar import add_months
from ..decisions import Decision, Fact, Outcome
from ..facts import FactsError
from ..lifecycle_facts_f import ConstructionFacts, FundingMode, FundsFacts
from ..rulesets import Ruleset, RulesetError
from .projects import Rule, _allow, _decide, _params

# Parameter names (rulesets/default.yaml).
START_WITHIN_MONTHS = "projects.start_within_months"
REPORT_CADENCE = "projects.report_cadence"
PILOT_REPORT_CADENCE = "projects.pilot_report_cadence"
REPORT_GRACE_DAYS = "projects.report_grace_days"


class Cadence(StrEnum):
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"


CADENCE_LABELS = {Cadence.QUARTERLY: "每季度", Cadence.HALF_YEARLY: "每半年", Cadence.YEARLY: "每年"}
_MONTHS = {Cadence.QUARTERLY: 3, Cadence.HALF_YEARLY: 6, Cadence.YEARLY: 12}
_LABEL = re.compile(r"^([0-9]{4})(?:-([HQ])([1-4]))?$")


# --- dates and report periods (pure helpers) ------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A report period: its label and first and last days (inclusive)."""

    label: str
    start: dt.date
    end: dt.date


def _period(cadence: Cadence, year: int, index: int) -> Period:
    """The ``index``-th (0-based) period of ``year``."""
    n = _MONTHS[cadence]
    last = index * n + n
    if cadence is Cadence.YEARLY:
        label = str(year)
    else:
        label = f"{year}-{'Q' if cadence is Cadence.QUARTERLY else 'H'}{index + 1}"
    return Period(label, dt.date(year, index * n + 1, 1), dt.date(year, last, monthrange(year, last)[1]))


def period_of(cadence: Cadence, day: dt.date) -> Period:
    """The period of ``cadence`` that contains ``day``."""
    return _period(cadence, day.year, (day.month - 1) // _MONTHS[cadence])


def parse_period(label: str) -> tuple[Cadence, Period] | None:
    """The cadence and period a label names (``2026``, ``2026-H2``, ``2026-Q3``; case and surrounding
    spaces ignored), else None."""
    m = _LABEL.match(label.strip().upper())
    if m is None:
        return None
    year, kind, number = int(m[1]), m[2], m[3]
    if year < 1:
        return None
    if kind is None:
        return Cadence.YEARLY, _period(Cadence.YEARLY, year, 0)
    cadence = Cadence.QUARTERLY if kind == "Q" else Cadence.HALF_YEARLY
    index = int(number) - 1
    if index >= 12 // _MONTHS[cadence]:
        return None  # 2026-H3
    return cadence, _period(cadence, year, index)


def due_periods(
    cadence: Cadence, approved_on: dt.date, today: dt.date, ended_on: dt.date | None = None
) -> list[Period]:
    """The periods whose report is due by ``today``: from the one containing ``approved_on``, every period
    that has ended before ``today`` and began no later than ``ended_on`` (when construction ended)."""
    out: list[Period] = []
    p = period_of(cadence, approved_on)
    while p.end < today and (ended_on is None or p.start <= ended_on):
        out.append(p)
        p = period_of(cadence, p.end + dt.timedelta(days=1))
    return out


def finer(a: Cadence, b: Cadence) -> Cadence:
    """The cadence with the shorter period (its periods end on every day the other's do)."""
    return a if _MONTHS[a] <= _MONTHS[b] else b


def cadence_of(rs: Ruleset, key: str) -> Cadence:
    value = rs.value(key)
    try:
        return Cadence(value)
    except ValueError:
        raise RulesetError(
            f"规则集“{rs.name}”的参数 {key} 应为 quarterly（每季度）、half-yearly（每半年）或 yearly（每年），"
            f"当前为 {value!r}。"
        ) from None


@dataclass(frozen=True)
class PeriodStatus:
    """One due period: its label, the last day its report is on time, and the day it was filed (or None)."""

    label: str
    deadline: dt.date
    filed_on: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"period": self.label, "deadline": self.deadline.isoformat()}
        if self.filed_on is not None:
            out["filed_on"] = self.filed_on.isoformat()
        return out


@dataclass(frozen=True)
class ReportStatus:
    """The due periods sorted by what became of their reports."""

    cadence: Cadence
    due: tuple[Period, ...]
    on_time: tuple[PeriodStatus, ...]
    late: tuple[PeriodStatus, ...]  # filed after the deadline
    missing: tuple[PeriodStatus, ...]  # not filed, deadline passed (overdue)
    awaiting: tuple[PeriodStatus, ...]  # not filed, still within the grace days


def report_status(c: ConstructionFacts, cadence: Cadence, grace_days: int) -> ReportStatus:
    """What became of each due period's report; a period's earliest filed report counts."""
    filed: dict[str, dt.date] = {}
    for r in c.reports:
        parsed = parse_period(r.period)
        if parsed is None or parsed[0] is not cadence or r.filed_on is None:
            continue
        label = parsed[1].label
        filed[label] = min(r.filed_on, filed.get(label, r.filed_on))
    due = due_periods(cadence, c.approved_on, c.today, c.construction_ended_on)
    on_time: list[PeriodStatus] = []
    late: list[PeriodStatus] = []
    missing: list[PeriodStatus] = []
    awaiting: list[PeriodStatus] = []
    for p in due:
        deadline = p.end + dt.timedelta(days=grace_days)
        when = filed.get(p.label)
        status = PeriodStatus(p.label, deadline, when)
        if when is not None:
            (on_time if when <= deadline else late).append(status)
        else:
            (missing if c.today > deadline else awaiting).append(status)
    return ReportStatus(cadence, tuple(due), tuple(on_time), tuple(late), tuple(missing), tuple(awaiting))


# --- the ledger -------------------------------------------------------------------------------------------


def paid_total(f: FundsFacts) -> int:
    """Yuan paid so far: the tranches with a payment date."""
    return sum(t.amount for t in f.tranches if t.paid_on is not None)


def ledger(f: FundsFacts) -> dict[str, int]:
    paid = paid_total(f)
    return {
        "approved": f.amount,
        "paid": paid,
        "remaining": max(f.amount - paid, 0),
        "requested": f.requested,
    }


def check_funds(f: FundsFacts) -> None:
    """Amounts are yuan and never negative (a negative tranche would hide a payment from the ledger)."""
    for name in ("amount", "requested", "balance", "returned"):
        if getattr(f, name) < 0:
            raise FactsError(name, "金额不能为负数")
    for i, t in enumerate(f.tranches):
        if t.amount < 0:
            raise FactsError(f"tranches[{i}].amount", "金额不能为负数")


def check_construction(c: ConstructionFacts) -> None:
    for name in ("pending_change_requests", "unapproved_content_changes"):
        if getattr(c, name) < 0:
            raise FactsError(name, "数量不能为负数")


# --- gate F -----------------------------------------------------------------------------------------------


def funds_follow_plan(f: FundsFacts, rs: Ruleset) -> Decision:
    """PRJ-F1: funds only for projects in the annual plan (or an approved dynamic addition), and never beyond
    the approved amount: a request above approved minus paid is refused."""
    if not (f.in_annual_plan or f.dynamic_addition_approved):
        return _decide(
            "PRJ-F1", Outcome.BLOCK,
            f"项目未列入 {f.plan_year} 年度信息化项目建设计划，也不是经批准的动态新增项目，财政不安排资金",
            Fact("in_annual_plan", False),
            "列入年度建设计划；确需实施的，按动态新增程序经大数据中心、发展改革、财政会商通过并报政府批准（抄告单或会议纪要）",
        )  # fmt: skip
    book = ledger(f)
    if book["paid"] > f.amount:
        return _decide(
            "PRJ-F1", Outcome.BLOCK, f"已拨付 {book['paid']} 元，超过批复金额 {f.amount} 元",
            Fact("tranches.paid", book["paid"]), "核对拨付台账，收回超出批复金额的资金后再拨付",
            ledger=book,
        )  # fmt: skip
    if f.requested > book["remaining"]:
        return _decide(
            "PRJ-F1", Outcome.BLOCK,
            f"本次申请拨付 {f.requested} 元，超过批复金额 {f.amount} 元扣除已拨付 {book['paid']} 元后的余额 "
            f"{book['remaining']} 元",
            Fact("requested", f.requested),
            f"在余额 {book['remaining']} 元以内申请；确需增加投资的，先按规定报批调整",
            ledger=book,
        )  # fmt: skip
    reason = "经批准的动态新增项目" if not f.in_annual_plan else f"已列入 {f.plan_year} 年度建设计划"
    return _allow("PRJ-F1", reason, ledger=book)


def started_in_time(f: FundsFacts, rs: Ruleset) -> Decision:
    """PRJ-F2: construction starts within N months of approval, force majeure aside, else funds are
    recovered (the paid amount) and frozen (the unpaid rest)."""
    months = int(rs.value(START_WITHIN_MONTHS))
    deadline = add_months(f.approved_on, months)
    book = ledger(f)
    extra: dict[str, Any] = {
        "start_deadline": deadline.isoformat(), "recover": book["paid"], "freeze": book["remaining"],
        **_params(rs, START_WITHIN_MONTHS),
    }  # fmt: skip
    if f.started_on is not None and f.started_on <= deadline:
        return _allow(
            "PRJ-F2", f"已于 {f.started_on.isoformat()} 开工（期限 {deadline.isoformat()}）", **extra
        )
    if f.started_on is None and f.today <= deadline:
        return _allow("PRJ-F2", f"尚未开工，应于 {deadline.isoformat()} 前开工", **extra)
    reason = f.force_majeure.strip()
    if reason:
        return _allow(
            "PRJ-F2", f"因不可抗力（{reason}）未在 {deadline.isoformat()} 前开工，不收回资金", **extra
        )
    if f.started_on is not None:
        return _decide(
            "PRJ-F2", Outcome.NEEDS_REVIEW,
            f"批复后 {months} 个月内未开工（{f.started_on.isoformat()} 开工，期限 {deadline.isoformat()}），"
            "资金原则上应予收回",
            Fact("started_on", f.started_on.isoformat()),
            f"由财政部门审核是否收回已拨付的 {book['paid']} 元；如属不可抗力，记录原因",
            **extra,
        )  # fmt: skip
    return _decide(
        "PRJ-F2", Outcome.BLOCK,
        f"项目批复（{f.approved_on.isoformat()}）后 {months} 个月内未开工建设（期限 {deadline.isoformat()}），"
        "且无不可抗力原因，收回项目资金",
        Fact("started_on", None),
        f"收回已拨付的 {book['paid']} 元、冻结未拨付的 {book['remaining']} 元；如因不可抗力未开工，记录原因后复核",
        **extra,
    )  # fmt: skip


def balance_returned(f: FundsFacts, rs: Ruleset) -> Decision:
    """PRJ-F3: at closing, a balance left with goals and content unchanged is returned."""
    owed = f.balance - f.returned
    if not f.closing or owed <= 0:
        reason = f"结余资金 {f.balance} 元已退回" if f.closing and f.balance > 0 else ""
        return _allow("PRJ-F3", reason)
    if f.goals_or_content_changed:
        return _decide(
            "PRJ-F3", Outcome.NEEDS_REVIEW,
            f"项目建设目标或内容已调整，结余 {f.balance} 元（未退回 {owed} 元）的处理须由财政部门按规定审核",
            Fact("goals_or_content_changed", True), "由财政部门按规定确定结余资金是否退回及退回数额",
            to_return=owed,
        )  # fmt: skip
    return _decide(
        "PRJ-F3", Outcome.BLOCK,
        f"项目建设目标和内容未变，总投资结余 {f.balance} 元，尚有 {owed} 元未退回",
        Fact("balance", f.balance), f"按规定将结余资金 {owed} 元退回财政",
        to_return=owed,
    )  # fmt: skip


def post_subsidy(f: FundsFacts, rs: Ruleset) -> Decision:
    """PRJ-F4: a post-subsidy project is paid after a passed evaluation (start-up funds aside); a failed
    evaluation may recover what was paid, up to all of it."""
    if f.funding_mode is not FundingMode.POST_SUBSIDY:
        return _allow("PRJ-F4")
    paid = paid_total(f)
    if f.evaluation_passed is False:
        return _decide(
            "PRJ-F4", Outcome.BLOCK,
            f"后补助项目考核验收未通过，不拨付奖励资金；已拨付的 {paid} 元可视情况收回全部或部分",
            Fact("evaluation_passed", False),
            f"整改后申请重新考核验收；由财政部门确定收回数额（最多 {paid} 元）",
            recover_up_to=paid,
        )  # fmt: skip
    if f.evaluation_passed:
        return _allow("PRJ-F4", "考核验收已通过，按考核验收结果拨付奖励资金")
    if f.requested == 0:
        return _allow("PRJ-F4", "尚未考核验收，暂无拨付申请")
    if f.requested_startup:
        return _allow("PRJ-F4", "申请的是启动资金，考核验收前可拨付（条件成熟的试点城市）")
    return _decide(
        "PRJ-F4", Outcome.BLOCK, f"后补助项目尚未考核验收，不能拨付 {f.requested} 元",
        Fact("evaluation_passed", None), "完成考核验收并通过后再申请拨付",
    )  # fmt: skip


# --- construction -----------------------------------------------------------------------------------------

_NAMED = (
    ("responsible_person", "项目责任人"),
    ("implementing_body", "项目实施机构"),
    ("supervisor_unit", "工程监理单位"),
)


def responsibilities_named(c: ConstructionFacts, rs: Ruleset) -> Decision:
    """PRJ-C1: a responsible person and an implementing body are named, and a 监理 unit engaged (with the
    secrecy qualification for a secret project) where supervision applies."""
    fields = _NAMED if c.supervision_required else _NAMED[:2]
    missing = [(name, label) for name, label in fields if not str(getattr(c, name)).strip()]
    if missing:
        return _decide(
            "PRJ-C1", Outcome.BLOCK, "未明确" + "、".join(label for _, label in missing),
            Fact("named.missing", [name for name, _ in missing]),
            "确定项目实施机构和项目责任人；实行工程监理制的，委托工程监理单位",
        )  # fmt: skip
    if c.supervision_required and c.involves_secrets and not c.supervisor_secret_qualified:
        return _decide(
            "PRJ-C1", Outcome.BLOCK, f"涉密项目的工程监理单位（{c.supervisor_unit}）不具备涉密信息系统集成工程监理资质",
            Fact("supervisor_secret_qualified", False), "改为委托具备涉密信息系统集成工程监理资质的监理单位",
        )  # fmt: skip
    return _allow("PRJ-C1")


def reports_filed(c: ConstructionFacts, rs: Ruleset) -> Decision:
    """PRJ-C2: a report for every due period (ruleset cadence; a pilot's finer cadence), filed within the
    grace days after the period's end: overdue ones warn."""
    cadence = cadence_of(rs, REPORT_CADENCE)
    names = [REPORT_CADENCE]
    if c.pilot:
        cadence = finer(cadence, cadence_of(rs, PILOT_REPORT_CADENCE))
        names.append(PILOT_REPORT_CADENCE)
    grace = int(rs.value(REPORT_GRACE_DAYS))
    s = report_status(c, cadence, grace)
    extra: dict[str, Any] = {
        "cadence": cadence.value,
        "due": [p.label for p in s.due],
        "missing": [x.as_dict() for x in s.missing],
        "late": [x.as_dict() for x in s.late],
        "awaiting": [x.as_dict() for x in s.awaiting],
        **_params(rs, *names, REPORT_GRACE_DAYS),
    }
    word = CADENCE_LABELS[cadence]
    if s.missing:
        listed = "、".join(f"{x.label}（应于 {x.deadline.isoformat()} 前）" for x in s.missing)
        return _decide(
            "PRJ-C2", Outcome.WARN, f"{len(s.missing)} 期建设进度（绩效评价）报告逾期未报送：{listed}",
            Fact("reports.missing", [x.label for x in s.missing]),
            f"补报上述各期报告；此后{word}一期，期末后 {grace} 天内报送",
            **extra,
        )  # fmt: skip
    reason = f"{word}报告一期，已到期 {len(s.due)} 期"
    if s.late:
        reason += f"，其中 {len(s.late)} 期逾期报送（" + "、".join(x.label for x in s.late) + "）"
    return _allow("PRJ-C2", reason, **extra)


def serious_problems_reported(c: ConstructionFacts, rs: Ruleset) -> Decision:
    """PRJ-C3: a serious delay or major loss is reported at once."""
    if not c.serious_delay_or_loss:
        return _allow("PRJ-C3")
    if c.reported_at_once:
        return _allow("PRJ-C3", "工程严重逾期或投资重大损失已及时报告")
    return _decide(
        "PRJ-C3", Outcome.BLOCK, "项目出现工程严重逾期或投资重大损失，未及时报告",
        Fact("reported_at_once", False), "立即向项目审批部门及发展改革、财政部门书面报告情况",
    )  # fmt: skip


def content_changes_approved(c: ConstructionFacts, rs: Ruleset) -> Decision:
    """PRJ-C4: content does not change at will; an unapproved change blocks, a pending request is reviewed."""
    if c.unapproved_content_changes:
        return _decide(
            "PRJ-C4", Outcome.BLOCK, f"建设内容有 {c.unapproved_content_changes} 项未经批准变更（不得随意变更）",
            Fact("unapproved_content_changes", c.unapproved_content_changes),
            "按政府招标投标、政府采购等规定和“向上变更”原则补办变更审批，或恢复批复的建设内容",
        )  # fmt: skip
    if c.pending_change_requests:
        return _decide(
            "PRJ-C4", Outcome.NEEDS_REVIEW, f"有 {c.pending_change_requests} 项建设内容变更申请待审批",
            Fact("pending_change_requests", c.pending_change_requests),
            "按政府采购等规定和“向上变更”原则审核变更申请；批准前按原批复内容实施",
        )  # fmt: skip
    return _allow("PRJ-C4")


# --- the rule tuples --------------------------------------------------------------------------------------


def _rule(rule_id: str, check: Callable[[Any, Ruleset], Decision]) -> Rule:
    """A ``rules.projects.Rule`` over these facts (its ``check`` is annotated for ``ProjectFacts``)."""
    return Rule(rule_id, check)


GATE_F: tuple[Rule, ...] = (
    _rule("PRJ-F1", funds_follow_plan),
    _rule("PRJ-F2", started_in_time),
    _rule("PRJ-F3", balance_returned),
    _rule("PRJ-F4", post_subsidy),
)

CHECKS_C: tuple[Rule, ...] = (
    _rule("PRJ-C1", responsibilities_named),
    _rule("PRJ-C2", reports_filed),
    _rule("PRJ-C3", serious_problems_reported),
    _rule("PRJ-C4", content_changes_approved),
)


def _run(rules: Sequence[Rule], facts: Any, rs: Ruleset) -> list[Decision]:
    out = []
    for rule in rules:
        if rs.enabled(rule.id):
            check: Callable[[Any, Ruleset], Decision] = rule.check
            out.append(check(facts, rs))
    return out


def evaluate_f(facts: FundsFacts, rs: Ruleset) -> list[Decision]:
    """The decisions of gate F's rules that ``rs`` enables, in order; negative amounts are a FactsError."""
    check_funds(facts)
    return _run(GATE_F, facts, rs)


def evaluate_c(facts: ConstructionFacts, rs: Ruleset) -> list[Decision]:
    """The decisions of the construction checks that ``rs`` enables, in order."""
    check_construction(facts)
    return _run(CHECKS_C, facts, rs)
