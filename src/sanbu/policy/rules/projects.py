"""Project gates S (申报, PRJ-S1..S6) and A (立项, PRJ-A1..A7): pure rules over ``ProjectFacts`` and a ruleset.

A gate is an ordered tuple of rules; ``evaluate(gate, facts, ruleset)`` runs those the ruleset enables and
returns one decision per rule. A decision that a ruleset parameter decided carries the parameter (value
and citation) in ``extra["parameters"]``; PRJ-A1 carries the review route in ``extra["route"]``.

Similarity (PRJ-S5 split detection): when a sibling project gives no ``similarity``, it is the mean, over
name, content and technical route (those both projects filled in), of ``rapidfuzz.fuzz.ratio / 100``: the
normalised Indel similarity of the two texts (1.0 identical, 0.0 nothing in common), whitespace removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from ..calendar import add_months
from ..decisions import Decision, Fact, Outcome
from ..facts import (
    BUILD_KINDS,
    UPGRADE_KINDS,
    ApprovalFacts,
    CentreOpinion,
    FactsError,
    ProjectClass,
    ProjectFacts,
    ProjectKind,
    ResourceState,
    SimilarProject,
)
from ..rulesets import Ruleset
from ..sources import source_of

# Parameter names (rulesets/default.yaml).
REVIEW_TIERS = "projects.review_tiers"
PROVINCE_ESCALATION = "projects.province_escalation"
APPLICATION_DEADLINE = "projects.application_deadline"
LIBRARY_VALID_YEARS = "projects.library_valid_years"
SPLIT_SIMILARITY = "projects.split_similarity"
SEPARATE_KINDS = "projects.separate_kinds"
REQUIRED_MATERIALS = "projects.required_materials"
MIN_SECRECY_EXPERTS = "projects.min_secrecy_experts"
MIN_DESIGN_LIFE_YEARS = "projects.min_design_life_years"
MAX_CONSTRUCTION_MONTHS = "projects.max_construction_months"

ROUTES = {
    "self_review": "项目单位自行组织审查，报大数据中心备案",
    "expert_panel": "项目单位组织专家论证会审查，报大数据中心备案",
    "joint_panel": "大数据中心、发展改革、财政等部门会同专家联合评审（专题论证会/联合会审）",
    "province": "由设区市统筹把关后报省级论证评估和联合会审",
}

MATERIALS = {
    "name": "项目名称", "unit": "项目单位", "tasks": "主要任务", "place": "建设地点",
    "basis_necessity": "项目建设依据和必要性", "performance_goals": "项目绩效目标",
    "implementation_method": "拟采用实施方式及主要原因", "intensive_needs": "集约化建设需求",
    "sharing_analysis": "数据资源共享分析", "security_protection": "系统及数据安全防护",
    "classified_protection": "等级保护", "crypto_application": "密码应用", "secure_reliable": "软硬件产品安全可靠情况",
    "om_plan": "运维实施方案", "party_meeting": "党委（党组）或办公会议审议通过", "funding_source": "资金来源",
}  # fmt: skip


JOINT_ROUTES = frozenset({"joint_panel", "province"})


class Gate(StrEnum):
    S = "S"
    A = "A"
    F = "F"
    K = "K"
    O = "O"  # noqa: E741


class GateNotImplemented(LookupError):
    """Gates F, K and O read other facts: ``sanbu.policy.gates`` evaluates every gate."""


Check = Callable[[ProjectFacts, Ruleset], Decision]


@dataclass(frozen=True)
class Rule:
    id: str
    check: Check


def _params(rs: Ruleset, *names: str) -> dict[str, Any]:
    return {
        "parameters": [{"name": n, "value": rs.value(n), "citation": rs.param(n).citation} for n in names]
    }


def _decide(rule_id: str, outcome: Outcome, reason: str, fact: Fact, remedy: str, **extra: Any) -> Decision:
    return Decision(rule_id, outcome, reason, fact, remedy, source_of(rule_id), extra)


def _allow(rule_id: str, reason: str = "", **extra: Any) -> Decision:
    return Decision(rule_id, Outcome.ALLOW, reason, source=source_of(rule_id), extra=extra)


def _approval(p: ProjectFacts) -> ApprovalFacts:
    assert p.approval is not None  # evaluate() refuses gate A without it
    return p.approval


# --- gate S ------------------------------------------------------------------------------------------


def applied_before_building(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-S1: every kind is applied for; nothing is built before approval (不得未批先建)."""
    if p.started_before_approval:
        return _decide(
            "PRJ-S1", Outcome.BLOCK, f"{p.kind.value}项目在批准前已开始建设（未批先建）",
            Fact("started_before_approval", True), "停止实施，补办申报审批手续后再建设",
        )  # fmt: skip
    return _allow("PRJ-S1")


def declares_sharing(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-S2: a new system declares the resources it uses and provides; used resources must exist."""
    missing = [u.code for u in p.uses if u.state is ResourceState.MISSING]
    if missing:
        return _decide(
            "PRJ-S2", Outcome.BLOCK, f"申报使用的 {len(missing)} 项资源不在目录中",
            Fact("uses.missing", missing[:10]), "改选目录中已有的资源，或先提出供需对接需求由提供部门编目",
        )  # fmt: skip
    if not (p.uses or p.provides):
        if p.kind is ProjectKind.NEW:
            return _decide(
                "PRJ-S2", Outcome.BLOCK, "新建系统未申报部门间信息共享需求（不共享、不立项）",
                Fact("declared_sharing", 0), "在申报书中列出将使用和将提供的目录资源",
            )  # fmt: skip
        if p.kind in UPGRADE_KINDS:
            return _decide(
                "PRJ-S2", Outcome.WARN, f"{p.kind.value}项目未申报信息共享需求",
                Fact("declared_sharing", 0), "列出系统将使用和将提供的目录资源，或说明不涉及共享的理由",
            )  # fmt: skip
    pending = [u.code for u in p.uses if u.state is not ResourceState.PUBLISHED]
    if pending:
        return _decide(
            "PRJ-S2", Outcome.WARN, f"申报使用的 {len(pending)} 项资源尚未发布，将转为供需对接需求",
            Fact("uses.unpublished", pending[:10]), "由平台向提供部门发起供需对接，资源发布后即可使用",
            needs=pending,
        )  # fmt: skip
    return _allow("PRJ-S2")


def has_materials(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-S3: the application carries the required materials (technical plan, or O&M plan)."""
    lists = rs.value(REQUIRED_MATERIALS)
    required = lists["build"] if p.kind in BUILD_KINDS else lists["om"]
    missing = [m for m in required if m not in p.materials]
    if missing:
        labels = "、".join(MATERIALS.get(m, m) for m in missing)
        return _decide(
            "PRJ-S3", Outcome.BLOCK, f"申报材料不全，缺少：{labels}",
            Fact("materials.missing", missing), "补齐上述申报材料后再提交",
            **_params(rs, REQUIRED_MATERIALS),
        )  # fmt: skip
    return _allow("PRJ-S3")


def within_window(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-S4: next year's needs are applied for by the ruleset's deadline, else as a dynamic addition."""
    spec = rs.value(APPLICATION_DEADLINE)
    deadline = dt.date(p.plan_year - 1, spec["month"], spec["day"])
    if p.application_date <= deadline:
        return _allow("PRJ-S4")
    fact = Fact("application_date", p.application_date.isoformat())
    if p.dynamic_addition:
        return _decide(
            "PRJ-S4", Outcome.NEEDS_REVIEW,
            f"{p.plan_year} 年度项目在申报截止日 {deadline.isoformat()} 之后申报，按动态新增项目审核",
            fact, "由大数据中心会同发展改革、财政部门审核动态新增；未获批准的不安排资金",
            deadline=deadline.isoformat(), **_params(rs, APPLICATION_DEADLINE),
        )  # fmt: skip
    return _decide(
        "PRJ-S4", Outcome.BLOCK,
        f"{p.plan_year} 年度项目的申报截止日为 {deadline.isoformat()}，已过期且未申请动态新增",
        fact, "申请作为动态新增项目，或改为申报下一年度",
        deadline=deadline.isoformat(), **_params(rs, APPLICATION_DEADLINE),
    )  # fmt: skip


@lru_cache(maxsize=16384)
def _squeezed(name: str, content: str, route: str) -> tuple[str, str, str]:
    """A project's texts without whitespace (a unit's sibling texts are compared with each of its projects)."""
    return "".join(name.split()), "".join(content.split()), "".join(route.split())


def _mean_ratio(mine: tuple[str, str, str], theirs: tuple[str, str, str]) -> float:
    n = 0
    total = 0.0
    for a, b in zip(mine, theirs, strict=True):
        if a and b:
            n += 1
            total += fuzz.ratio(a, b)
    return total / (100 * n) if n else 0.0


def _similar_siblings(p: ProjectFacts, threshold: float) -> list[tuple[SimilarProject, float]]:
    """The unit's projects at least ``threshold`` similar to ``p``, with their similarity.

    A sibling can reach the threshold only if its name does reach ``3 * threshold - 2`` (the other two
    texts at most 1 each), so names are screened first in one ``process.extract`` call (a C loop); the
    full mean is computed for those that pass and for siblings without a name."""
    mine = _squeezed(p.name, p.content, p.technical_route)
    texts = [_squeezed(s.name, s.content, s.technical_route) for s in p.similar_projects]
    candidates: Sequence[int] = range(len(texts))
    cutoff = 100 * (3 * threshold - 2) - 1e-6  # a superset: never lose a sibling to rounding
    if mine[0] and cutoff > 0:
        named = [t[0] for t in texts]
        passed = {
            i
            for _, _, i in process.extract(mine[0], named, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        }
        given = [s.similarity is not None for s in p.similar_projects]
        candidates = [i for i in candidates if i in passed or not named[i] or given[i]]
    out = []
    for i in candidates:
        s = p.similar_projects[i]
        score = s.similarity if s.similarity is not None else _mean_ratio(mine, texts[i])
        if score >= threshold:
            out.append((s, score))
    return out


def similarity(p: ProjectFacts, other: SimilarProject) -> float:
    """Given, or the mean ``fuzz.ratio / 100`` over the texts both projects filled in (module docstring)."""
    if other.similarity is not None:
        return other.similarity
    return _mean_ratio(
        _squeezed(p.name, p.content, p.technical_route),
        _squeezed(other.name, other.content, other.technical_route),
    )


def tier_boundaries(rs: Ruleset) -> list[int]:
    """Amounts at which the review route changes: the tiers' lower bounds and the province thresholds."""
    bounds = {int(t["from"]) for t in rs.value(REVIEW_TIERS) if int(t["from"]) > 0}
    escalation = rs.value(PROVINCE_ESCALATION) or {}
    bounds.update(int(v) for v in escalation.values())
    return sorted(bounds)


def tier_index(amount: int, rs: Ruleset) -> int:
    return sum(1 for b in tier_boundaries(rs) if amount >= b)


def library_and_splitting(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-S5: a library entry is valid for N years; similar projects of one unit are not split."""
    years = rs.value(LIBRARY_VALID_YEARS)
    if p.library_entry_date is not None and p.application_date > add_months(p.library_entry_date, 12 * years):
        return _decide(
            "PRJ-S5", Outcome.BLOCK, f"项目库入库已超过 {years} 年有效期（入库日期 {p.library_entry_date.isoformat()}）",
            Fact("library_entry_date", p.library_entry_date.isoformat()), "重新申报纳入项目库",
            **_params(rs, LIBRARY_VALID_YEARS),
        )  # fmt: skip
    threshold = rs.value(SPLIT_SIMILARITY)
    similar = _similar_siblings(p, threshold)
    total = p.amount + sum(s.amount for s, _ in similar)
    if similar and tier_index(total, rs) > tier_index(p.amount, rs):
        return _decide(
            "PRJ-S5", Outcome.NEEDS_REVIEW,
            f"疑似拆分申报：本单位 {len(similar)} 个相似项目与本项目合计 {total} 元，跨过评审档次",
            Fact("similar_projects", [{"name": s.name, "amount": s.amount, "similarity": round(score, 3)}
                                      for s, score in similar]),
            "合并为一个项目申报，按合计金额确定评审路径；或说明各项目目标、内容和技术路线的区别",
            total=total, **_params(rs, SPLIT_SIMILARITY, REVIEW_TIERS),
        )  # fmt: skip
    if similar:
        return _decide(
            "PRJ-S5", Outcome.WARN,
            f"本单位有 {len(similar)} 个目标、内容和技术路线相似的项目（与本项目合计 {total} 元），不得拆分申报",
            Fact("similar_projects", [{"name": s.name, "amount": s.amount, "similarity": round(score, 3)}
                                      for s, score in similar]),
            "说明各项目目标、内容和技术路线的区别，或合并为一个项目申报",
            total=total, **_params(rs, SPLIT_SIMILARITY),
        )  # fmt: skip
    return _allow("PRJ-S5")


def not_separately_built(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-S6: the eight kinds are not approved for separate construction; names hint at a kind."""
    kinds: dict[str, list[str]] = rs.value(SEPARATE_KINDS)
    if p.category in kinds:
        if p.unified_build:
            return _allow("PRJ-S6", f"{p.category}类项目由本级统一建设")
        return _decide(
            "PRJ-S6", Outcome.BLOCK, f"“{p.category}”类项目原则上不再批准单独建设",
            Fact("category", p.category), "使用本级统一建设的平台或设施，或由统筹部门纳入统一建设",
            **_params(rs, SEPARATE_KINDS),
        )  # fmt: skip
    text = f"{p.name} {p.content}".lower()
    for kind, words in kinds.items():
        hits = [w for w in words if w.lower() in text]
        if hits:
            return _decide(
                "PRJ-S6", Outcome.WARN, f"项目名称或内容含“{'、'.join(hits)}”，可能属于“{kind}”类（不再批准单独建设）",
                Fact("category", p.category), f"核实项目类别；如属“{kind}”类，改用统一建设的平台",
                hint=kind, **_params(rs, SEPARATE_KINDS),
            )  # fmt: skip
    return _allow("PRJ-S6")


# --- gate A ------------------------------------------------------------------------------------------


def review_route(p: ProjectFacts, rs: Ruleset) -> str:
    """PRJ-A1: the tier the amount falls in (lower bounds inclusive), escalated to the province if due."""
    route = "expert_panel"
    for tier in sorted(rs.value(REVIEW_TIERS), key=lambda t: int(t["from"])):
        if p.amount >= int(tier["from"]):
            route = str(tier["route"])
    escalation = rs.value(PROVINCE_ESCALATION)
    if escalation:
        if _approval(p).project_class is not ProjectClass.OTHER:
            threshold: int | None = int(escalation["infrastructure"])
        else:
            threshold = None if p.kind is ProjectKind.OM else int(escalation["other"])
        if threshold is not None and p.amount >= threshold:
            route = "province"
    return route


def route_by_amount(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-A1: the review route, returned in ``extra["route"]``."""
    route = review_route(p, rs)
    extra = {
        "route": route,
        "route_label": ROUTES.get(route, route),
        **_params(rs, REVIEW_TIERS, PROVINCE_ESCALATION),
    }
    if route in JOINT_ROUTES and not _approval(p).joint_review:
        return _decide(
            "PRJ-A1", Outcome.BLOCK, f"投资额 {p.amount} 元，须经{ROUTES[route]}，尚无同意的联合评审结论",
            Fact("joint_review", False), "组织联合评审（大数据中心、发展改革、财政等部门及专家）并记录同意的结论",
            **extra,
        )  # fmt: skip
    return _allow("PRJ-A1", f"投资额 {p.amount} 元，评审路径：{ROUTES.get(route, route)}", **extra)


def expert_assessment(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-A2: assessed by experts drawn from the pool; secret projects need N secrecy experts."""
    a = _approval(p)
    if review_route(p, rs) == "self_review" and not p.involves_secrets:
        return _allow("PRJ-A2", "项目单位自行审查，可根据实际情况组织专家论证")
    if not a.expert_review.assessed:
        return _decide(
            "PRJ-A2", Outcome.BLOCK, "项目尚未经专家论证评估，不得会审、立项或安排资金",
            Fact("expert_review.assessed", False), "从专家库抽取专家开展论证评估并出具评估报告",
        )  # fmt: skip
    if a.expert_review.passed is False:
        return _decide(
            "PRJ-A2", Outcome.BLOCK, "专家论证结论为不同意（多数专家不同意立项）",
            Fact("expert_review.passed", False), "按专家意见修改建设方案后重新申报论证",
        )  # fmt: skip
    needed = int(rs.value(MIN_SECRECY_EXPERTS))
    if p.involves_secrets and a.expert_review.secrecy_experts < needed:
        return _decide(
            "PRJ-A2", Outcome.BLOCK,
            f"涉密项目的论证专家中保密专家 {a.expert_review.secrecy_experts} 名，少于 {needed} 名",
            Fact("expert_review.secrecy_experts", a.expert_review.secrecy_experts),
            f"从保密专家库补抽专家，使保密专家不少于 {needed} 名",
            **_params(rs, MIN_SECRECY_EXPERTS),
        )  # fmt: skip
    return _allow("PRJ-A2")


def not_supported(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-A3: the seven situations that are in principle not supported (第十七条), checked from facts."""
    a = _approval(p)
    plain = not p.involves_secrets
    build = p.kind in BUILD_KINDS
    cloud_text = (
        "非涉密新建项目不在政务云部署" if p.kind is ProjectKind.NEW else "非涉密升级改造项目不迁移到政务云"
    )
    checks: list[tuple[bool, str, str, Any]] = [
        (plain and a.builds_machine_room_or_cloud, "(一)", "单独新建或扩建机房、数据中心、云平台、公共支撑或数据资源",
         "builds_machine_room_or_cloud"),
        (plain and a.buys_server_hardware, "(一)", "新增采购非涉密服务器、存储设备或服务端网络设备",
         "buys_server_hardware"),
        (a.leases_internet_line, "(二)", "单独租赁互联网出口线路", "leases_internet_line"),
        (a.private_network_not_merged, "(二)", "专网未整合到电子政务内网或外网", "private_network_not_merged"),
        (plain and build and not a.on_gov_cloud, "(三)", cloud_text, "on_gov_cloud"),
        (build and not a.uses_secure_reliable, "(四)", "未应用安全可靠产品", "uses_secure_reliable"),
        (not a.crypto_compliant, "(五)", "不符合密码应用要求", "crypto_compliant"),
        (not a.security_compliant, "(五)", "不符合网络安全保密要求或存在重大安全隐患", "security_compliant"),
        (not a.goals_clear, "(六)", "需求或绩效目标不明确", "goals_clear"),
        (not a.internal_integrated, "(六)", "内部系统整合不到位", "internal_integrated"),
        (any(not s.shares for s in a.unit_systems), "(六)", "本单位已有系统数据共享要求落实不到位",
         "unit_systems.shares"),
        (p.kind in UPGRADE_KINDS and a.upgrades_unaccepted, "(七)", "原项目尚未竣工验收即升级改造",
         "upgrades_unaccepted"),
    ]  # fmt: skip
    failed = [(item, text, name) for bad, item, text, name in checks if bad]
    if failed:
        name = failed[0][2]
        value: Any = (
            [s.name for s in a.unit_systems if not s.shares]
            if name == "unit_systems.shares"
            else (getattr(a, name))
        )
        return _decide(
            "PRJ-A3", Outcome.BLOCK,
            "原则上不予支持：" + "；".join(f"第十七条{i}{t}" for i, t, _ in failed),
            Fact(name, value), "消除上述情形（部署到政务云、并入电子政务网络、应用安全可靠产品、通过密评和等保等）后再申请",
            items=[{"item": i, "reason": t, "fact": n} for i, t, n in failed],
        )  # fmt: skip
    return _allow("PRJ-A3")


def priority(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-A4: priority support flags (never blocks)."""
    a = _approval(p)
    flags = [text for on, text in ((a.central_or_provincial, "中央或省部署的重大项目"),
                                   (a.integrates_systems, "整合分级分散业务系统"),
                                   (a.cross_boundary, "跨部门、跨层级、跨区域共建共享")) if on]  # fmt: skip
    if flags:
        return _allow("PRJ-A4", "重点支持：" + "、".join(flags), priority=flags)
    return _allow("PRJ-A4")


def centre_opinion(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-A5: the big data centre's filing opinion precedes approval and funds."""
    opinion = _approval(p).centre_opinion
    if opinion is CentreOpinion.FAVOURABLE:
        return _allow("PRJ-A5")
    reason = "尚无大数据中心的备案意见" if opinion is CentreOpinion.NONE else "大数据中心备案意见为不同意"
    return _decide(
        "PRJ-A5", Outcome.BLOCK, f"{reason}，不得立项或审批资金",
        Fact("centre_opinion", opinion.value), "报大数据中心备案，按其意见修改建设方案后取得同意的备案意见",
    )  # fmt: skip


def cost_checks(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-A6: hardware off the cloud states why; design life ≥ N years; construction ≤ M months."""
    a = _approval(p)
    if p.kind not in BUILD_KINDS:
        return _allow("PRJ-A6")
    if a.hardware_outside_cloud and not a.hardware_outside_cloud_reason.strip():
        return _decide(
            "PRJ-A6", Outcome.BLOCK, "新增物理硬件不部署在政务云，未说明理由及依据",
            Fact("hardware_outside_cloud_reason", ""), "按政务云资源服务折算硬件投资，或提供不上云的充分理由及依据",
        )  # fmt: skip
    life = int(rs.value(MIN_DESIGN_LIFE_YEARS))
    if a.design_life_years is not None and a.design_life_years < life:
        return _decide(
            "PRJ-A6", Outcome.WARN, f"设计使用年限 {a.design_life_years} 年，少于 {life} 年",
            Fact("design_life_years", a.design_life_years), f"设计使用年限原则上不少于 {life} 年",
            **_params(rs, MIN_DESIGN_LIFE_YEARS),
        )  # fmt: skip
    months = int(rs.value(MAX_CONSTRUCTION_MONTHS))
    if a.construction_months is not None and a.construction_months > months:
        return _decide(
            "PRJ-A6", Outcome.WARN, f"建设周期 {a.construction_months} 个月，超过 {months} 个月",
            Fact("construction_months", a.construction_months), f"压缩建设周期至 {months} 个月以内，或分期建设",
            **_params(rs, MAX_CONSTRUCTION_MONTHS),
        )  # fmt: skip
    return _allow("PRJ-A6")


def unit_systems_docked(p: ProjectFacts, rs: Ruleset) -> Decision:
    """PRJ-A7 (where enabled): a unit with systems not docked to the exchange platform gets no new project."""
    a = _approval(p)
    undocked = [s.name for s in a.unit_systems if not s.docked]
    if undocked and p.kind is not ProjectKind.OM:
        return _decide(
            "PRJ-A7", Outcome.BLOCK, f"本单位有 {len(undocked)} 个信息系统未对接统一数据共享交换平台，不审批新项目",
            Fact("unit_systems.undocked", undocked[:10]), "完成这些系统与统一数据共享交换平台的改造对接（提供已发布资源或调用网关）",
        )  # fmt: skip
    return _allow("PRJ-A7")


GATES: dict[Gate, tuple[Rule, ...]] = {
    Gate.S: (
        Rule("PRJ-S1", applied_before_building),
        Rule("PRJ-S2", declares_sharing),
        Rule("PRJ-S3", has_materials),
        Rule("PRJ-S4", within_window),
        Rule("PRJ-S5", library_and_splitting),
        Rule("PRJ-S6", not_separately_built),
    ),
    Gate.A: (
        Rule("PRJ-A1", route_by_amount),
        Rule("PRJ-A2", expert_assessment),
        Rule("PRJ-A3", not_supported),
        Rule("PRJ-A4", priority),
        Rule("PRJ-A5", centre_opinion),
        Rule("PRJ-A6", cost_checks),
        Rule("PRJ-A7", unit_systems_docked),
    ),
}


def evaluate(gate: Gate | str, facts: ProjectFacts, ruleset: Ruleset) -> list[Decision]:
    """The decisions of every rule of ``gate`` that ``ruleset`` enables, in the gate's order."""
    gate = Gate(gate)
    if gate not in GATES:
        raise GateNotImplemented(
            f"关口 {gate.value} 读取的不是项目申报事实，请用 sanbu.policy.gates.evaluate。"
        )
    if gate is Gate.A and facts.approval is None:
        raise FactsError("approval", "立项关口（A）需要 approval 事实")
    return [rule.check(facts, ruleset) for rule in GATES[gate] if ruleset.enabled(rule.id)]
