"""Gate K (竣工验收, PRJ-K1..K5), gate O (运维经费, PRJ-O1..O3) and the evaluation checks (PRJ-E1..E3).

Pure rules over the facts of ``lifecycle_facts_k`` and a ruleset, in the idiom of ``rules.projects``: each
rule returns one :class:`Decision` with its rule id, outcome, Chinese reason, the failed fact, a remedy
and the source (``source_of``); a decision that a ruleset parameter decided carries the parameter (value
and citation) in ``extra["parameters"]``. ``evaluate_k``, ``evaluate_o`` and ``evaluate_e`` run the rules
of ``GATE_K``, ``GATE_O`` and ``CHECKS_E`` that the ruleset enables (PRJ-O2 is off unless a ruleset
switches it on, as ``yiyuan`` does).

Months are calendar months clamped to the end of the month (:func:`add_months`: 31 January + 1 month is
28 or 29 February); a deadline "within N months of D" is the day ``add_months(D, N)``, inclusive.

Choices where the seeds give no number (``docs/policy-gates-k-o.md``): the acceptance application is due
``projects.acceptance_apply_within_months`` after the minimum trial run ends; O&M funds are sent for
review when the request exceeds last year's funds scaled by the workload change plus
``projects.om_budget_tolerance``, or last year's evaluation was 不合格, or O&M supervision has open
findings; an overdue self-evaluation blocks, one filed outside the window warns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from ..calendar import add_months, whole_months
from ..decisions import Decision, Fact, Outcome
from ..facts import ResourceState
from ..lifecycle_facts_k import AcceptanceFacts, EvaluationFacts, Grade, OperationsFacts, PromisedResource
from ..rulesets import Ruleset, RulesetError
from .projects import Rule, _allow, _decide, _params

# Parameter names (rulesets/default.yaml).
TRIAL_RUN_MONTHS = "projects.trial_run_months"
APPLY_WITHIN_MONTHS = "projects.acceptance_apply_within_months"
FINAL_INSPECTION_REQUIRED = "projects.final_inspection_required"
ACCEPTANCE_MATERIALS = "projects.acceptance_materials"
LARGE_PROJECT_AMOUNT = "projects.large_project_amount"
ACCEPTANCE_PANEL = "projects.acceptance_panel"
REPORT_FILING_MONTHS = "projects.acceptance_report_filing_months"
OM_BUDGET_TOLERANCE = "projects.om_budget_tolerance"
EVALUATION_WINDOW_MONTHS = "projects.evaluation_window_months"
REQUIRED_DELIVERABLES = "projects.required_deliverables"

# PRJ-K3: the acceptance materials (002 篇三 第三十条), keys of ``projects.acceptance_materials``.
MATERIALS = {
    "construction_summary": "项目建设总结",
    "sharing_report": "数据资源共享报告（数据资源目录、共享平台接入、数据共享情况）",
    "sharing_confirmation": "数据共享情况确认书",
    "secure_reliable_report": "软硬件产品的安全可靠情况",
    "financial_report": "财务报告",
    "third_party_audit": "第三方审计报告",
    "third_party_test": "第三方测评报告（功能和性能）",
    "security_risk_assessment": "安全风险评估报告（等级保护或分级保护测评）",
    "crypto_assessment": "密码应用安全性评估报告",
    "secrecy_risk_assessment": "保密风险评估",
    "archive_acceptance": "档案专项验收情况",
}
# PRJ-E3: the kinds of project results (002 篇三 第三十一条), keys of ``projects.required_deliverables``.
DELIVERABLES = {
    "design": "设计文件",
    "source_code": "源代码",
    "test_docs": "测试文档",
    "data": "数据资源",
    "interfaces": "数据接口",
}
# PRJ-E1: what the key performance evaluation looks at (002 篇三 第四十条).
KEY_EVALUATION_DIMENSIONS = (
    "应用效果",
    "支撑能力",
    "网络安全",
    "投资效益",
    "实际应用资源配置与设计的符合程度",
)
# PRJ-E2: what may follow an unfixed problem (002 篇三 第四十一条).
CONSEQUENCES = ("通报批评", "暂缓安排建设或资金计划", "暂停项目建设", "终止项目")


# --- months ------------------------------------------------------------------------------------------


# --- helpers -----------------------------------------------------------------------------------------

Items = list[tuple[str, Fact]]


def _rule(rule_id: str, check: Callable[[Any, Ruleset], Decision]) -> Rule:
    """A :class:`Rule` over this module's facts (``Rule.check`` is typed for ``ProjectFacts``)."""
    return Rule(rule_id, check)


def _run(rules: tuple[Rule, ...], facts: object, rs: Ruleset) -> list[Decision]:
    out = []
    for rule in rules:
        if rs.enabled(rule.id):
            check: Callable[[Any, Ruleset], Decision] = rule.check
            out.append(check(facts, rs))
    return out


def _resource_problem(r: PromisedResource) -> str | None:
    """Why a resource does not count as shared (CAT-4: only published, mounted resources do), or None."""
    if r.state is ResourceState.PUBLISHED:
        return None if r.mounted else "已发布但未挂接数据或接口"
    return {
        ResourceState.MISSING: "不在目录中",
        ResourceState.REGISTERED: "仅注册，未发布",
        ResourceState.MOUNTED: "已挂接，未发布",
    }[r.state]


def _failing(resources: tuple[PromisedResource, ...]) -> list[dict[str, str]]:
    return [
        {"code": r.code, "name": r.name, "problem": problem}
        for r in resources
        if (problem := _resource_problem(r)) is not None
    ]


def _listed(failing: list[dict[str, str]]) -> str:
    return "、".join(f"{f['name'] or f['code']}（{f['problem']}）" for f in failing[:10])


# --- gate K: acceptance ------------------------------------------------------------------------------


def trial_run(k: AcceptanceFacts, rs: Ruleset) -> Decision:
    """PRJ-K1: a normal trial run of N months before applying, then (where required) the final inspection;
    an application later than M months after the minimum trial run needs a written extension request.

    Before the application (``applied_on`` None) the rule judges an application made today."""
    months = int(rs.value(TRIAL_RUN_MONTHS))
    within = int(rs.value(APPLY_WITHIN_MONTHS))
    params = _params(rs, TRIAL_RUN_MONTHS, APPLY_WITHIN_MONTHS, FINAL_INSPECTION_REQUIRED)
    at = k.applied_on or k.today
    earliest = add_months(k.trial_run_started, months)
    due = add_months(k.trial_run_started, months + within)
    extra: dict[str, Any] = {"earliest": earliest.isoformat(), "due": due.isoformat(), **params}
    if not k.trial_run_normal:
        return _decide(
            "PRJ-K1", Outcome.BLOCK, "试运行不稳定（运行不正常），不得申请竣工验收",
            Fact("trial_run_normal", False), f"排除问题后重新试运行，稳定运行满 {months} 个月后再申请",
            **extra,
        )  # fmt: skip
    ran_until = min(k.trial_run_ended or at, at)
    if ran_until < earliest:
        ran = whole_months(k.trial_run_started, ran_until)
        return _decide(
            "PRJ-K1", Outcome.BLOCK,
            f"试运行自 {k.trial_run_started.isoformat()} 起只有 {ran} 个月，不足 {months} 个月，"
            f"{earliest.isoformat()} 起方可申请竣工验收",
            Fact("trial_run_months", ran), f"继续试运行至 {earliest.isoformat()}，满 {months} 个月且运行正常后再申请",
            **extra,
        )  # fmt: skip
    if rs.value(FINAL_INSPECTION_REQUIRED) and not k.final_inspection_done:
        return _decide(
            "PRJ-K1", Outcome.BLOCK, "试运行期满后尚未组织终验，终验后方可提出竣工验收申请",
            Fact("final_inspection_done", False), "由项目单位组织终验，终验后再向项目审批部门提出竣工验收申请",
            **extra,
        )  # fmt: skip
    if at > due and not k.extension_requested:
        late = Fact("extension_requested", False)
        remedy = "书面提出延期申请，说明不能按期申请竣工验收的原因和预计申请时间"
        if k.applied_on is not None:
            return _decide(
                "PRJ-K1", Outcome.BLOCK,
                f"竣工验收申请（{k.applied_on.isoformat()}）晚于按期申请的期限 {due.isoformat()}，且未书面提出延期申请",
                late, remedy, **extra,
            )  # fmt: skip
        return _decide(
            "PRJ-K1", Outcome.WARN,
            f"已超过按期申请竣工验收的期限 {due.isoformat()}，尚未申请，也未书面提出延期申请",
            late, remedy, **extra,
        )  # fmt: skip
    reason = f"试运行已满 {months} 个月"
    if at > due:
        reason += f"；超过按期申请的期限 {due.isoformat()}，已书面提出延期申请"
    return _allow("PRJ-K1", reason, **extra)


def sharing_confirmed(k: AcceptanceFacts, rs: Ruleset) -> Decision:
    """PRJ-K2: every promised resource is registered, mounted and published now, the system is docked and
    can share, and the data resource authority has confirmed the sharing situation."""
    failing = _failing(k.promised)
    items: Items = []
    if failing:
        items.append((
            f"承诺提供的 {len(failing)} 项资源未完成注册、挂接、发布：{_listed(failing)}",
            Fact("promised.failing", failing),
        ))  # fmt: skip
    if not k.system_docked:
        items.append(("系统未对接统一数据共享交换平台", Fact("system_docked", False)))
    if not k.system_can_share:
        items.append(("系统不能与其他部门互联共享信息", Fact("system_can_share", False)))
    if not k.sharing_confirmed:
        items.append(("数据资源管理部门尚未确认数据共享情况", Fact("sharing_confirmed", False)))
    if items:
        return _decide(
            "PRJ-K2", Outcome.BLOCK,
            "；".join(text for text, _ in items) + "。数据共享确认不通过的，不组织竣工验收，不安排运维经费",
            items[0][1],
            "完成承诺资源的注册、挂接和发布，对接统一数据共享交换平台，由数据资源管理部门确认数据共享情况后再验收",
            failing=failing, items=[{"reason": text, "fact": fact.name} for text, fact in items],
        )  # fmt: skip
    return _allow("PRJ-K2", f"承诺提供的 {len(k.promised)} 项资源均已发布并挂接，数据共享情况已确认")


def acceptance_materials(k: AcceptanceFacts, rs: Ruleset) -> Decision:
    """PRJ-K3: the acceptance application carries the required materials."""
    missing = [m for m in rs.value(ACCEPTANCE_MATERIALS) if m not in k.materials]
    if missing:
        labels = "、".join(MATERIALS.get(m, m) for m in missing)
        return _decide(
            "PRJ-K3", Outcome.BLOCK, f"竣工验收申请材料不全，缺少：{labels}",
            Fact("materials.missing", missing), "补齐上述材料后再提出竣工验收申请",
            **_params(rs, ACCEPTANCE_MATERIALS),
        )  # fmt: skip
    return _allow("PRJ-K3")


def is_large(k: AcceptanceFacts, rs: Ruleset) -> bool:
    """A large project (较大项目): as the facts say, else amount ≥ ``projects.large_project_amount``."""
    return k.large if k.large is not None else k.amount >= int(rs.value(LARGE_PROJECT_AMOUNT))


def panel_problems(members: int, third_party: int, large: bool, spec: Mapping[str, Any]) -> list[str]:
    """What is wrong with a panel of ``members`` with ``third_party`` third-party experts under ``spec``
    (``projects.acceptance_panel``): too few, even where it must be odd, third-party share too low."""
    need = int(spec["min_members_large" if large else "min_members"])
    num, den = int(spec["third_party_numerator"]), int(spec["third_party_denominator"])
    if den <= 0:
        raise RulesetError(f"{ACCEPTANCE_PANEL} 的 third_party_denominator 应为正整数，当前为 {den}。")
    out = []
    if members < need:
        out.append(f"验收小组 {members} 人，{'较大项目' if large else ''}应不少于 {need} 人")
    if spec["odd"] and members % 2 == 0:
        out.append(f"验收小组 {members} 人，应为单数")
    if third_party * den < num * members:
        needed = -(-num * members // den)
        out.append(f"第三方专家 {third_party} 人，不足 {num}/{den}（{members} 人的小组至少 {needed} 人）")
    return out


def panel_and_report(k: AcceptanceFacts, rs: Ruleset) -> Decision:
    """PRJ-K4: the panel (at least 3, odd; at least 5, odd, for large projects; third-party experts at least
    two thirds) blocks; the acceptance report filed later than N months after acceptance warns."""
    spec = rs.value(ACCEPTANCE_PANEL)
    large = is_large(k, rs)
    problems = panel_problems(k.panel.members, k.panel.third_party, large, spec)
    if problems:
        need = spec["min_members_large" if large else "min_members"]
        odd = "的单数" if spec["odd"] else ""
        return _decide(
            "PRJ-K4", Outcome.BLOCK, "；".join(problems),
            Fact("panel", {"members": k.panel.members, "third_party": k.panel.third_party, "large": large}),
            f"组成不少于 {need} 人{odd}的验收小组，其中第三方专家不少于"
            f" {spec['third_party_numerator']}/{spec['third_party_denominator']}",
            large=large, **_params(rs, ACCEPTANCE_PANEL, LARGE_PROJECT_AMOUNT),
        )  # fmt: skip
    if k.accepted_on is None:
        return _allow("PRJ-K4", "验收小组组成符合要求", large=large)
    months = int(rs.value(REPORT_FILING_MONTHS))
    due = add_months(k.accepted_on, months)
    extra = {"large": large, "report_due": due.isoformat(), **_params(rs, REPORT_FILING_MONTHS)}
    if (k.report_filed_on or k.today) > due:
        filed = k.report_filed_on
        when = f"于 {filed.isoformat()} 报送备案" if filed else "至今未报送备案"
        return _decide(
            "PRJ-K4", Outcome.WARN,
            f"项目于 {k.accepted_on.isoformat()} 通过验收，竣工验收报告应在 {months} 个月内（{due.isoformat()} 前）"
            f"报送备案，{when}",
            Fact("report_filed_on", filed.isoformat() if filed else None),
            "立即报送竣工验收报告备案" if filed is None else f"今后在验收通过后 {months} 个月内报送备案",
            **extra,
        )  # fmt: skip
    return _allow("PRJ-K4", "验收小组组成符合要求", **extra)


def protection_tested(k: AcceptanceFacts, rs: Ruleset) -> Decision:
    """PRJ-K5: the 等级保护 test (分级保护 for secret systems) is a required part of acceptance."""
    if k.dengbao_tested:
        return _allow("PRJ-K5")
    test = "分级保护测评" if k.involves_secrets else "网络安全等级保护测评"
    return _decide(
        "PRJ-K5", Outcome.BLOCK, f"尚未通过{test}，{test}是项目验收的必要环节",
        Fact("dengbao_tested", False), f"委托测评机构完成{test}并取得符合要求的测评报告后再验收",
    )  # fmt: skip


# --- gate O: O&M funds -------------------------------------------------------------------------------


def om_conditions(o: OperationsFacts, rs: Ruleset) -> Decision:
    """PRJ-O1: no O&M funds for a system that (1) does not share as required or collects data again,
    (2) fails cryptography or security requirements or has major hazards, (3) is non-secret and not
    carried on the e-government extranet and the government cloud (第三十七条)."""
    failing = _failing(o.resources)
    plain = not o.involves_secrets
    checks: list[tuple[bool, str, str, Fact]] = [
        (not o.shares_as_required, "(一)", "未按要求共享数据资源", Fact("shares_as_required", False)),
        (bool(failing), "(一)", f"应提供的 {len(failing)} 项资源未发布或未挂接：{_listed(failing)}",
         Fact("resources.failing", failing)),
        (bool(o.collects_again), "(一)", f"重复采集其他部门已提供的数据：{'、'.join(o.collects_again[:10])}",
         Fact("collects_again", list(o.collects_again))),
        (not o.crypto_compliant, "(二)", "不符合密码应用要求", Fact("crypto_compliant", False)),
        (not o.security_compliant, "(二)", "不符合网络安全要求", Fact("security_compliant", False)),
        (o.major_hazards, "(二)", "存在重大安全隐患", Fact("major_hazards", True)),
        (plain and not o.on_extranet, "(三)", "非涉密系统未依托政务外网承载", Fact("on_extranet", False)),
        (plain and not o.on_gov_cloud, "(三)", "非涉密系统未依托政务云承载", Fact("on_gov_cloud", False)),
    ]  # fmt: skip
    failed = [(item, text, fact) for bad, item, text, fact in checks if bad]
    if failed:
        return _decide(
            "PRJ-O1", Outcome.BLOCK,
            f"{o.year} 年度不安排运维经费：" + "；".join(f"第三十七条{i}{t}" for i, t, _ in failed),
            failed[0][2],
            "按要求发布并挂接应共享的资源、停止重复采集，通过密评和等保并消除重大隐患，迁移到政务外网和政务云后再申请",
            items=[{"item": i, "reason": t, "fact": f.name} for i, t, f in failed],
        )  # fmt: skip
    return _allow("PRJ-O1")


def om_docked(o: OperationsFacts, rs: Ruleset) -> Decision:
    """PRJ-O2 (where enabled): a system not docked to the unified exchange platform gets no O&M funds."""
    if o.docked:
        return _allow("PRJ-O2")
    return _decide(
        "PRJ-O2", Outcome.BLOCK, f"系统未按要求改造对接统一数据共享交换平台，{o.year} 年度不拨付运维经费",
        Fact("docked", False), "完成系统与统一数据共享交换平台的对接（提供已发布且已挂接的资源，或通过网关调用）",
    )  # fmt: skip


def budget_ceiling(last_budget: int, workload_change: float | None, tolerance: float) -> Fraction:
    """PRJ-O3: last year's funds × (1 + workload change) × (1 + tolerance), exactly, never below 0
    (decimals are read as written: ``0.1`` is one tenth)."""
    change = Fraction(str(workload_change or 0.0))
    return max(Fraction(0), Fraction(last_budget) * (1 + change) * (1 + Fraction(str(tolerance))))


def om_budget(o: OperationsFacts, rs: Ruleset) -> Decision:
    """PRJ-O3: O&M funds follow workload, last year's evaluation and O&M supervision (第三十六条).

    Needs review: last year's evaluation 不合格, open supervision findings, or a request above
    :func:`budget_ceiling`. Warns: a continuing system with no evaluation result to base the budget on."""
    tolerance = rs.value(OM_BUDGET_TOLERANCE)
    extra: dict[str, Any] = {**_params(rs, OM_BUDGET_TOLERANCE)}
    items: Items = []
    if o.last_evaluation is Grade.FAIL:
        items.append(("上一年度应用绩效评价为不合格", Fact("last_evaluation", Grade.FAIL.value)))
    if o.supervision_issues:
        items.append((
            f"运维监管发现 {len(o.supervision_issues)} 项问题未整改：{'、'.join(o.supervision_issues[:10])}",
            Fact("supervision_issues", list(o.supervision_issues)),
        ))  # fmt: skip
    if o.last_budget is not None:
        ceiling = budget_ceiling(o.last_budget, o.workload_change, tolerance)
        extra["ceiling"] = math.floor(ceiling)
        if o.requested_budget > ceiling:
            items.append((
                f"申请 {o.requested_budget} 元，超过按上年 {o.last_budget} 元、工作量变化"
                f" {(o.workload_change or 0.0) * 100:+g}% 和 {tolerance * 100:g}% 浮动核算的上限 {math.floor(ceiling)} 元",
                Fact("requested_budget", o.requested_budget),
            ))  # fmt: skip
    if items:
        return _decide(
            "PRJ-O3", Outcome.NEEDS_REVIEW, f"{o.year} 年度运维经费需审核：" + "；".join(t for t, _ in items),
            items[0][1], "由项目审批部门结合运维工作量、上一年度应用绩效评价结果和运维监管情况审核运维预算，必要时核减",
            **extra,
        )  # fmt: skip
    if o.last_budget is not None and o.last_evaluation is None:
        return _decide(
            "PRJ-O3", Outcome.WARN, "没有上一年度应用绩效评价结果，运维预算建议缺少依据",
            Fact("last_evaluation", None), "完成上一年度应用绩效评价后再形成运维预算建议", **extra,
        )  # fmt: skip
    if o.last_budget is None:
        return _allow("PRJ-O3", "首年运维经费，按运维支出标准核定", **extra)
    return _allow("PRJ-O3", f"申请 {o.requested_budget} 元，在上限 {extra['ceiling']} 元以内", **extra)


# --- after acceptance: evaluation --------------------------------------------------------------------


def self_evaluation(e: EvaluationFacts, rs: Ruleset) -> Decision:
    """PRJ-E1: the self-evaluation is filed 6 to 12 months (the ruleset's window) after acceptance; overdue
    blocks, filed outside the window warns; a key evaluation of 不合格 warns (it decides next year's funds)."""
    lo, hi = (int(m) for m in rs.value(EVALUATION_WINDOW_MONTHS))
    start, end = add_months(e.accepted_on, lo), add_months(e.accepted_on, hi)
    window = f"验收后 {lo} 至 {hi} 个月（{start.isoformat()} 至 {end.isoformat()}）"
    extra: dict[str, Any] = {
        "window": [start.isoformat(), end.isoformat()],
        **_params(rs, EVALUATION_WINDOW_MONTHS),
    }
    if e.key_evaluation:
        extra["key_evaluation_dimensions"] = list(KEY_EVALUATION_DIMENSIONS)
    filed = e.self_evaluation_filed_on
    if filed is None and e.today > end:
        return _decide(
            "PRJ-E1", Outcome.BLOCK, f"应在{window}开展绩效自评并报送自评报告，已逾期未报",
            Fact("self_evaluation_filed_on", None),
            "立即开展项目建设管理绩效自评并报送；评价结果是下一年度安排建设和运维经费的重要依据", **extra,
        )  # fmt: skip
    if filed is not None and not start <= filed <= end:
        early = filed < start
        return _decide(
            "PRJ-E1", Outcome.WARN,
            f"绩效自评报告于 {filed.isoformat()} 报送，{'早于' if early else '晚于'}{window}",
            Fact("self_evaluation_filed_on", filed.isoformat()),
            "在时间窗内补充覆盖完整运行期的自评" if early else "今后在时间窗内开展自评并报送", **extra,
        )  # fmt: skip
    if e.key_evaluation_grade is Grade.FAIL:
        return _decide(
            "PRJ-E1", Outcome.WARN, "重点绩效评价结果为不合格，将作为下一年度安排建设和运维经费的重要依据",
            Fact("key_evaluation_grade", Grade.FAIL.value), "按评价提出的整改意见限期整改（PRJ-E2）", **extra,
        )  # fmt: skip
    reason = "已按期报送绩效自评报告" if filed else f"绩效自评应在{window}报送"
    return _allow("PRJ-E1", reason, **extra)


def rectification(e: EvaluationFacts, rs: Ruleset) -> Decision:
    """PRJ-E2: a problem past its rectification deadline and not fixed blocks, with the consequences."""
    overdue = [p for p in e.problems if not p.fixed and e.today > p.deadline]
    pending = [p for p in e.problems if not p.fixed and e.today <= p.deadline]
    if overdue:
        listed = "、".join(f"{p.text}（期限 {p.deadline.isoformat()}）" for p in overdue[:10])
        return _decide(
            "PRJ-E2", Outcome.BLOCK,
            f"{len(overdue)} 项问题逾期未整改：{listed}；可对其{'、'.join(CONSEQUENCES[:-1])}，直至{CONSEQUENCES[-1]}",
            Fact("problems.overdue", [{"text": p.text, "deadline": p.deadline.isoformat()} for p in overdue]),
            "立即整改并报送整改情况；整改后仍不符合要求的，同样适用上述措施",
            consequences=list(CONSEQUENCES),
        )  # fmt: skip
    if pending:
        return _allow(
            "PRJ-E2", f"{len(pending)} 项问题在整改期限内",
            pending=[{"text": p.text, "deadline": p.deadline.isoformat()} for p in pending],
        )  # fmt: skip
    return _allow("PRJ-E2")


def deliverables(e: EvaluationFacts, rs: Ruleset) -> Decision:
    """PRJ-E3: the contract gives results and IP to the government and every kind of result is registered."""
    missing = [d for d in rs.value(REQUIRED_DELIVERABLES) if d not in e.deliverables_registered]
    items: Items = []
    if not e.contract_assigns_ip:
        items.append(
            ("政府采购文件和合同未明确项目成果及相关知识产权归政府所有", Fact("contract_assigns_ip", False))
        )
    if missing:
        labels = "、".join(DELIVERABLES.get(d, d) for d in missing)
        items.append((f"项目成果登记不全，缺少：{labels}", Fact("deliverables.missing", missing)))
    if items:
        return _decide(
            "PRJ-E3", Outcome.BLOCK, "；".join(t for t, _ in items), items[0][1],
            "以合同或补充协议明确项目成果及知识产权归政府所有，并登记移交缺少的成果",
            **_params(rs, REQUIRED_DELIVERABLES),
        )  # fmt: skip
    return _allow("PRJ-E3")


GATE_K: tuple[Rule, ...] = (
    _rule("PRJ-K1", trial_run),
    _rule("PRJ-K2", sharing_confirmed),
    _rule("PRJ-K3", acceptance_materials),
    _rule("PRJ-K4", panel_and_report),
    _rule("PRJ-K5", protection_tested),
)
GATE_O: tuple[Rule, ...] = (
    _rule("PRJ-O1", om_conditions),
    _rule("PRJ-O2", om_docked),
    _rule("PRJ-O3", om_budget),
)
CHECKS_E: tuple[Rule, ...] = (
    _rule("PRJ-E1", self_evaluation),
    _rule("PRJ-E2", rectification),
    _rule("PRJ-E3", deliverables),
)


def evaluate_k(facts: AcceptanceFacts, rs: Ruleset) -> list[Decision]:
    """The decisions of gate K's rules that ``rs`` enables, in order."""
    return _run(GATE_K, facts, rs)


def evaluate_o(facts: OperationsFacts, rs: Ruleset) -> list[Decision]:
    """The decisions of gate O's rules that ``rs`` enables (PRJ-O2 only where switched on), in order."""
    return _run(GATE_O, facts, rs)


def evaluate_e(facts: EvaluationFacts, rs: Ruleset) -> list[Decision]:
    """The decisions of the evaluation checks that ``rs`` enables, in order."""
    return _run(CHECKS_E, facts, rs)
