"""Facts for gate K (竣工验收), gate O (运维经费, yearly per system) and the evaluation rules (PRJ-E).

Frozen, typed dataclasses built by the apps from what the platform holds (the catalog's resource states,
the inventory's docking, the acceptance and evaluation records), or read from JSON with
``facts.from_json(data, AcceptanceFacts)``; ``facts.json_schema(AcceptanceFacts)`` gives their schema. Only
the types that generator supports are used (bool, int, float, str, date, enums, tuples, ``X | None``,
nested dataclasses). The rules that read them: ``rules.acceptance``; field by field:
``docs/policy-gates-k-o.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum

from .facts import FactsError, ResourceState


class Grade(StrEnum):
    """A performance evaluation's result (绩效评价等级)."""

    EXCELLENT = "优秀"
    GOOD = "良好"
    PASS = "合格"
    FAIL = "不合格"


@dataclass(frozen=True)
class PromisedResource:
    """A catalog resource a project or system must provide, with its state in the catalog now (read from
    the catalog, not declared): PRJ-K2 before acceptance, PRJ-O1 (1) every O&M year."""

    code: str  # catalog resource code
    name: str  # resource name, for the messages
    state: ResourceState  # missing / registered / mounted / published (注册 → 挂接 → 发布, CAT-4)
    mounted: bool  # real data or a working interface is mounted now (a published resource can lose it)


@dataclass(frozen=True)
class AcceptancePanel:
    """The acceptance panel (验收小组, PRJ-K4): how many members, how many of them third-party experts."""

    members: int  # everyone on the panel; 0 while it is not formed
    third_party: int  # of whom third-party experts (第三方专家), not staff of the unit or the authority

    def __post_init__(self) -> None:
        if self.members < 0:
            raise FactsError("panel.members", "不能为负数")
        if not 0 <= self.third_party <= self.members:
            raise FactsError("panel.third_party", "应在 0 到验收小组人数之间")


@dataclass(frozen=True)
class AcceptanceFacts:
    """One project asking for (or heading to) 竣工验收. Gate K (PRJ-K1..K5) reads these."""

    name: str  # project name
    unit: str  # project unit (项目单位)
    amount: int  # approved investment, yuan; decides "large" (较大项目) when ``large`` is not given
    trial_run_started: dt.date  # the system was completed and its trial run began (建成、开始试运行)
    today: dt.date  # the date the gate is evaluated on
    final_inspection_done: bool  # PRJ-K1: the unit's final inspection (终验) is done, where the ruleset asks
    system_docked: bool  # PRJ-K2: docked to the unified exchange platform (derived by the inventory)
    system_can_share: bool  # PRJ-K2: can share with other departments (互联共享), per the authority's check
    sharing_confirmed: bool  # PRJ-K2: the data resource authority recorded its 数据共享情况确认
    panel: AcceptancePanel  # PRJ-K4
    dengbao_tested: bool  # PRJ-K5: 等级保护测评 (分级保护测评 for secret systems) done with a passing result
    trial_run_ended: dt.date | None = None  # PRJ-K1: the trial run ended (None: still running)
    trial_run_normal: bool = True  # PRJ-K1: the trial run was stable and normal (试运行稳定/正常)
    applied_on: dt.date | None = (
        None  # PRJ-K1: the acceptance application (None: not yet; judged as of today)
    )
    extension_requested: bool = False  # PRJ-K1: a written extension request (书面延期申请) is on record
    large: bool | None = (
        None  # PRJ-K4: a large project (较大项目); None: amount ≥ projects.large_project_amount
    )
    involves_secrets: bool = False  # PRJ-K5: a secret system (分级保护 rather than 等级保护)
    promised: tuple[PromisedResource, ...] = ()  # PRJ-K2: the resources the project promised to provide
    materials: tuple[str, ...] = ()  # PRJ-K3: keys of the materials present (projects.acceptance_materials)
    accepted_on: dt.date | None = None  # PRJ-K4: the project passed acceptance (None: not yet)
    report_filed_on: dt.date | None = None  # PRJ-K4: the acceptance report was filed (报送备案)


@dataclass(frozen=True)
class OperationsFacts:
    """One system's O&M funds request for one year (运维经费). Gate O (PRJ-O1..O3) reads these."""

    name: str  # system name
    unit: str  # the unit that runs it
    year: int  # the budget year the O&M funds are for
    shares_as_required: bool  # O1 (1): shares data as required (按要求共享数据资源), per the authority
    crypto_compliant: bool  # O1 (2): meets cryptography requirements (密码应用, 密评)
    security_compliant: bool  # O1 (2): meets network security requirements (网络安全, 等保)
    major_hazards: bool  # O1 (2): has a major security hazard (重大安全隐患) on record
    on_extranet: bool  # O1 (3): carried on the e-government extranet (政务外网)
    on_gov_cloud: bool  # O1 (3): carried on the government cloud (政务云)
    docked: bool  # O2: docked to the unified exchange platform (derived by the inventory)
    requested_budget: int  # O3: O&M funds requested for ``year``, yuan
    involves_secrets: bool = False  # O1 (3): secret systems need not be on the extranet and cloud
    collects_again: tuple[
        str, ...
    ] = ()  # O1 (1): data it collects that another department provides (重复采集)
    resources: tuple[
        PromisedResource, ...
    ] = ()  # O1 (1): the resources it must provide, as the catalog has them
    last_budget: int | None = None  # O3: last year's O&M funds, yuan (None: first O&M year)
    workload_change: float | None = None  # O3: relative change of O&M workload (0.2 = +20 %; None: unchanged)
    last_evaluation: Grade | None = None  # O3: last year's application performance evaluation (None: none)
    supervision_issues: tuple[str, ...] = ()  # O3: open findings of O&M supervision (运维监管)

    def __post_init__(self) -> None:
        if self.workload_change is not None and not math.isfinite(self.workload_change):
            raise FactsError("workload_change", "应为有限的数字")


@dataclass(frozen=True)
class Problem:
    """A problem found by evaluation or supervision, with its rectification deadline (PRJ-E2)."""

    text: str  # what is wrong (整改意见)
    deadline: dt.date  # rectification deadline (限期整改), inclusive
    fixed: bool = False  # rectified and found compliant


@dataclass(frozen=True)
class EvaluationFacts:
    """One accepted project after acceptance (PRJ-E1..E3)."""

    name: str  # project name
    unit: str  # project unit
    accepted_on: dt.date  # passed acceptance and went into operation (通过竣工验收并投入运行)
    today: dt.date  # the date the checks are evaluated on
    key_evaluation: bool  # E1: selected for the authority's key performance evaluation (重点绩效评价)
    contract_assigns_ip: bool  # E3: procurement documents and contract give results and IP to the government
    self_evaluation_filed_on: dt.date | None = (
        None  # E1: the self-evaluation report was filed (None: not yet)
    )
    key_evaluation_grade: Grade | None = None  # E1: the key evaluation's result, once given
    problems: tuple[Problem, ...] = ()  # E2: problems with rectification deadlines
    deliverables_registered: tuple[str, ...] = ()  # E3: kinds of results registered as handed over


FACTS: dict[str, type] = {"K": AcceptanceFacts, "O": OperationsFacts, "E": EvaluationFacts}
