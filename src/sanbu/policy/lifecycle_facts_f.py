"""Facts for gate F (拨款, PRJ-F1..F4) and the construction checks (建设实施, PRJ-C1..C4).

Frozen, typed and built by the apps from what the platform holds (the plan, the finance ledger, the
reports filed), like ``facts.py``: the JSON Schema and the parser there work on these classes too
(``json_schema(FundsFacts)``, ``from_json(data, ConstructionFacts)``). Amounts are whole yuan. Field by
field: ``docs/policy-gate-f.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class FundingMode(StrEnum):
    """How the project's money is paid."""

    TRANCHE = "tranche"  # 按进度分批拨付 the approved amount (the usual case)
    POST_SUBSIDY = "post_subsidy"  # 后补助: paid (rewarded) after an evaluation (003 十)


@dataclass(frozen=True)
class Tranche:
    """One tranche (批次) of the project's funds, from the finance ledger."""

    number: int  # 1, 2, … in payment order
    amount: int  # yuan, ≥ 0
    paid_on: dt.date | None = None  # the day finance paid it; None: scheduled (拨付计划), not paid yet


@dataclass(frozen=True)
class FundsFacts:
    """A project asking for funds (gate F). Only ``paid_on`` tranches count as paid."""

    name: str  # project name
    unit: str  # project unit (项目单位)
    amount: int  # yuan approved (批复总投资); the ceiling of everything paid
    approved_on: dt.date  # the approval (批复) date; PRJ-F2 counts the start deadline from it
    today: dt.date  # the day the gate is evaluated (the request date)
    plan_year: int  # the year of the annual plan (年度建设计划) the funds belong to
    in_annual_plan: bool  # PRJ-F1: listed in that year's 信息化项目建设年度计划
    dynamic_addition_approved: bool = (
        False  # PRJ-F1: a 动态新增 approved (抄告单/会议纪要), in lieu of the plan
    )
    started_on: dt.date | None = None  # PRJ-F2: the day construction started (开工); None: not started
    force_majeure: str = ""  # PRJ-F2: the recorded force-majeure reason for not starting; "" when none
    funding_mode: FundingMode = FundingMode.TRANCHE  # PRJ-F4: tranche or post-subsidy
    tranches: tuple[Tranche, ...] = ()  # the ledger: paid and scheduled tranches
    requested: int = 0  # yuan asked for now (the next tranche); 0: no payment requested
    requested_startup: bool = (
        False  # PRJ-F4: the request is 启动资金 (start-up funds) of a post-subsidy pilot
    )
    evaluation_passed: bool | None = None  # PRJ-F4: 考核验收 result of a post-subsidy project; None: not yet
    closing: bool = False  # PRJ-F3: the project is being closed (竣工财务决算)
    goals_or_content_changed: bool = False  # PRJ-F3: goals or content changed (approved) during construction
    balance: int = 0  # PRJ-F3: yuan left unspent at closing (结余资金)
    returned: int = 0  # PRJ-F3: yuan of the balance already returned to finance


@dataclass(frozen=True)
class ProgressReport:
    """A progress or performance report for one period (PRJ-C2)."""

    period: str  # "2026" (yearly), "2026-H1"/"2026-H2" (half-yearly), "2026-Q1".."2026-Q4" (quarterly)
    filed_on: dt.date | None = None  # the day it was filed with the authority; None: drafted, not filed


@dataclass(frozen=True)
class ConstructionFacts:
    """A project under construction (PRJ-C1..C4)."""

    name: str  # project name
    unit: str  # project unit (项目单位)
    approved_on: dt.date  # approval date: reports are due from the period that contains it
    today: dt.date  # the day the checks run
    responsible_person: str = ""  # PRJ-C1: 项目责任人, "" when not named
    implementing_body: str = ""  # PRJ-C1: 项目实施机构, "" when not named
    supervisor_unit: str = ""  # PRJ-C1: 工程监理单位, "" when none is engaged
    supervision_required: bool = (
        True  # PRJ-C1: 工程监理制 applies (construction; not e.g. pure O&M or services)
    )
    involves_secrets: bool = False  # PRJ-C1: a 涉密 project, whose 监理 needs the secrecy qualification
    supervisor_secret_qualified: bool = False  # PRJ-C1: the 监理 holds 涉密信息系统集成工程监理资质
    pilot: bool = False  # PRJ-C2: a 信息惠民国家试点 project, reporting on the pilot cadence (003 八)
    construction_ended_on: dt.date | None = None  # PRJ-C2: construction finished; no reports due after it
    reports: tuple[ProgressReport, ...] = ()  # PRJ-C2: the reports on record
    serious_delay_or_loss: bool = False  # PRJ-C3: 工程严重逾期 or 投资重大损失 occurred
    reported_at_once: bool = False  # PRJ-C3: it was reported at once (及时报告) to the authorities
    pending_change_requests: int = 0  # PRJ-C4: content change requests awaiting approval
    unapproved_content_changes: int = 0  # PRJ-C4: content changes made without an approved request


FACTS: dict[str, type] = {"F": FundsFacts, "C": ConstructionFacts}
