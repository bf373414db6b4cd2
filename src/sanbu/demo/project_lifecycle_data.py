"""Demo data for the project lifecycle after approval (gates F, C, K, O and the evaluation checks E), built
through the lifecycle services (``funds``, ``construction``, ``acceptance``, ``evaluation``,
``operations``) on top of ``projects_data``.

More projects are taken to approval as ``projects_data`` takes its own (``_take``: application by the unit
or the platform, expert panel, centre opinion, approval by ``admin_dsj``), each promising to provide one of
its unit's published resources and touching one of its running systems, and then driven, as the demo
accounts (``finance`` for funds, ``admin_dsj`` / ``yy_admin`` for the authority's steps, ``project_unit``
for 淄博市教育局's steps, the platform for other units' steps, the stewards for O&M requests), to:

- ``ON_TRACK``: under construction on schedule: in this year's issued annual plan (created for 淄博市 if
  missing and issued with a 文号), tranche 1 paid, tranche 2 scheduled, responsibilities named, started,
  a progress report for every due period;
- ``OVERDUE``: under construction with an overdue progress report (PRJ-C2) and a pending change request
  (PRJ-C4); meant for 淄博市教育局 so that the ``project_unit`` account sees it;
- ``NOT_STARTED``: approved about seven months ago and never started, no force majeure: finance's
  ``recovery_sweep`` issues a recovery notice (PRJ-F2) and freezes its scheduled tranche;
- ``DYNAMIC``: added to the plan after it was issued (动态新增), not yet approved: its tranche is held by
  PRJ-F1;
- ``BLOCKED_K2``: trial run done and acceptance applied for, but the promised resource was taken offline
  afterwards (catalog ``resource_offline``): the authority's sharing confirmation is refused by PRJ-K2;
- ``ACCEPTED``: accepted about eight months ago with the confirmation snapshot, a panel of five (four
  third-party), the report filed, the self-evaluation filed, every deliverable registered, the contract's
  IP clause recorded;
- ``GRADED_FAIL``: accepted, selected for the key evaluation and graded 不合格 with a rectification problem
  past its deadline (PRJ-E2);
- ``POST_SUBSIDY_FAILED``: a 后补助 project paid after a passed evaluation whose re-check failed: finance's
  ``recovery_issue`` (PRJ-F4).

Then O&M: requests for a handful of running systems for this year by their stewards and the authority's
``operations_check`` for 淄博市 and 沂源县, so the eligibility list has eligible and ineligible systems.

Dates. Approval always happens "now" in ``services.project_approve``; the demo then moves the project's
application history back with a direct ``Project.objects.filter(pk=...).update(...)`` of ``decided_at``
(and ``created_at``, ``submitted_at``, ``centre_opinion_at`` by the same number of days, so that the
history stays in order): the one write outside the services besides the next one. Every later step passes
its date (``on=``, ``started_on=`` …) to the services. Payments are made today (the plan of a payment is
the plan of its year).

The one other direct write: a post-subsidy project can be paid only after a passed evaluation, and the
key evaluation is graded once (``evaluation.key_evaluation_grade``), so no service lets a paid
post-subsidy project fail its evaluation. The demo records the failed re-check with
``Lifecycle.objects.filter(...).update(key_evaluation_grade="不合格")`` before ``recovery_issue``.

The units are those whose applications the demo's own data lets through gate A (淄博市教育局 has a running
system that shares nothing, PRJ-A3, and 沂源县大数据中心 systems not docked, PRJ-A7: their projects are the
ones held at approval in the projects demo). Should the demo data change so that a step is refused, the
project stays where it was held and a note says why. Loading is skipped when the first project of
``LIFECYCLE`` exists.

Uses the private helpers ``_take``, ``_actor``, ``_departments`` of ``projects_data`` (on purpose: the
same application and review path as the other demo projects).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sanbu.catalog import services as catalog
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.errors import Conflict, RuleBlocked, ValidationFailed
from sanbu.inventory.models import InformationSystem
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import actor_for_user
from sanbu.policy.calendar import add_months
from sanbu.policy.lifecycle_facts_k import Grade
from sanbu.policy.rules.acceptance import DELIVERABLES, MATERIALS
from sanbu.policy.rules.funds import due_periods
from sanbu.projects import acceptance, construction, evaluation, funds, operations, services, steps
from sanbu.projects.acceptance import CONFIRMATION
from sanbu.projects.models import (
    AnnualPlan,
    Direction,
    Expert,
    Lifecycle,
    OperationsReview,
    PlanEntry,
    PlanState,
    Project,
    ProjectState,
    RecoveryNotice,
    Tranche,
    TrancheState,
)

from .data import CITY
from .projects_data import AGREE, DEMO_EXPERT, ProjectSpec, _actor, _departments, _take

COUNTY = "370323"
REQUEST_ID = "demo-load"

# The stages (see the module docstring).
ON_TRACK = "on_track"
OVERDUE = "overdue"
NOT_STARTED = "not_started"
DYNAMIC = "dynamic"
BLOCKED_K2 = "blocked_k2"
ACCEPTED = "accepted"
GRADED_FAIL = "graded_fail"
POST_SUBSIDY_FAILED = "post_subsidy_failed"
STAGE_LABELS = {
    ON_TRACK: "在建、按期报送进度",
    OVERDUE: "在建、进度报告逾期、变更待批",
    NOT_STARTED: "逾期未开工、资金收回并冻结",
    DYNAMIC: "动态新增待批准、暂缓拨付",
    BLOCKED_K2: "已申请验收、承诺资源已下线",
    ACCEPTED: "已验收",
    GRADED_FAIL: "重点绩效评价不合格、整改逾期",
    POST_SUBSIDY_FAILED: "后补助考核不合格、收回资金",
}

PANEL_NAMES = "何军（组长）、刘建华、张伟、徐丽、马强（项目单位）"
PLAN_NUMBER = "淄数据发〔{year}〕9号"
ADDITION_BASIS = "市大数据局、发展改革委、财政局会商意见（{year}）第 7 期，待市政府批准"
OFFLINE_REASON = "数据质量核查发现资质有效期字段大量缺失，暂停共享，整改后重新发布"


@dataclass(frozen=True)
class LifecycleSpec:
    """One project of the lifecycle demo: how it is applied for (``project``, taken to approval), where it
    is driven (``stage``) and when it was approved and accepted (months before today)."""

    project: ProjectSpec
    stage: str
    approved_months: int
    accepted_months: int = 0


def _approved(dept: str, name: str, system: str, provides: str, uses: tuple[tuple[str, str], ...],
              amount: int, content: str, tasks: str, goals: str) -> ProjectSpec:  # fmt: skip
    return ProjectSpec(
        dept, name, ProjectState.APPROVED, kind="扩建", amount=amount, content=content, tasks=tasks, goals=goals,
        uses=uses, provides=(provides,), system=system, conclusions=(AGREE,) * 5, centre="favourable",
        note="同意立项。",
    )  # fmt: skip


# fmt: off
LIFECYCLE: list[LifecycleSpec] = [
    LifecycleSpec(
        _approved(
            "rsj", "就业创业服务系统智能匹配扩展", "就业创业服务系统", "失业保险金领取信息",
            (("scjgj", "市场主体登记信息"), ("swj", "纳税人登记信息")), 960_000,
            "扩展就业创业服务系统，汇聚市场主体和用工信息，实现岗位智能推荐和失业人员再就业精准帮扶",
            "岗位信息归集、人岗智能匹配、再就业帮扶跟踪", "登记失业人员再就业率提高 10%，岗位匹配时间缩短到 3 天",
        ),
        ON_TRACK, approved_months=10,
    ),
    LifecycleSpec(
        _approved(
            "ybj", "医保基金智能监管系统", "医保电子凭证服务系统", "医保定点医药机构信息",
            (("wjw", "医疗机构执业许可证信息"), ("wjw", "医师执业注册信息")), 1_150_000,
            "建设医保基金智能监管系统，对定点医药机构的结算数据开展事前提醒、事中审核和事后稽核",
            "智能审核规则库、结算数据稽核、违规线索移交", "医保基金违规使用线索发现率提高 30%",
        ),
        OVERDUE, approved_months=14,
    ),
    LifecycleSpec(
        _approved(
            "scjgj", "食品安全智慧监管系统扩建（校园食品安全）", "食品安全智慧监管系统", "市场监管行政处罚信息",
            (("spj", "食品生产许可证信息"), ("wjw", "卫生健康行政处罚信息")), 880_000,
            "扩建食品安全智慧监管系统，接入学校食堂明厨亮灶视频和食材进货查验记录，实现校园食品安全远程巡查",
            "食堂视频巡查、进货查验记录、问题整改闭环", "全市中小学食堂远程巡查覆盖率 100%",
        ),
        NOT_STARTED, approved_months=7,
    ),
    LifecycleSpec(
        _approved(
            "jtysj", "网约车综合监管系统", "交通运输综合管理平台", "网络预约出租汽车经营许可信息",
            (("gaj", "机动车登记信息"), ("gaj", "机动车驾驶人信息")), 640_000,
            "在交通运输综合管理平台上建设网约车综合监管模块，核验平台、车辆和驾驶员许可，监测运营行为",
            "许可核验、订单数据监测、违规线索处置", "网约车车辆和驾驶员双证合规率达到 95%",
        ),
        DYNAMIC, approved_months=2,
    ),
    LifecycleSpec(
        _approved(
            "zrzyj", "自然资源调查监测数据管理系统", "自然资源一张图系统", "测绘资质信息",
            (("nyncj", "农村土地承包经营权信息"), ("zjj", "建筑工程施工许可信息")), 1_380_000,
            "扩展自然资源一张图系统，管理年度国土变更调查和专项监测成果，支撑耕地保护和违法用地发现",
            "调查监测成果入库、变化图斑比对、违法用地线索推送", "违法用地线索发现时间由季度缩短到月度",
        ),
        BLOCKED_K2, approved_months=13,
    ),
    LifecycleSpec(
        _approved(
            "sfj", "公共法律服务智能咨询系统", "公共法律服务网", "律师事务所信息",
            (("gaj", "户籍人口基本信息"), ("mzj", "婚姻登记信息")), 560_000,
            "在公共法律服务网上建设智能法律咨询、法律援助线上申请和律师事务所查询服务",
            "智能咨询、法律援助线上申请、法律服务机构查询", "法律援助申请线上办理率达到 80%",
        ),
        ACCEPTED, approved_months=20, accepted_months=8,
    ),
    LifecycleSpec(
        _approved(
            "yjj", "安全生产风险监测预警系统", "应急管理综合应用平台", "安全生产许可证信息",
            (("scjgj", "市场主体登记信息"), ("sthjj", "重点排污单位名录信息")), 1_260_000,
            "在应急管理综合应用平台上建设重点企业安全生产风险监测预警，汇聚许可、执法和在线监测数据",
            "风险分级、在线监测预警、隐患整改跟踪", "重点企业安全风险预警响应时间不超过 30 分钟",
        ),
        GRADED_FAIL, approved_months=22, accepted_months=11,
    ),
    LifecycleSpec(
        _approved(
            "nyncj", "耕地保护数字化监管系统", "农业农村综合信息平台", "耕地地力保护补贴信息",
            (("zrzyj", "土地利用现状统计信息"), ("zrzyj", "不动产登记信息")), 820_000,
            "在农业农村综合信息平台上建设耕地保护数字化监管，比对补贴发放和土地利用现状，发现撂荒和非粮化",
            "补贴面积核验、撂荒地监测、非粮化预警", "耕地地力保护补贴面积核验覆盖率 100%",
        ),
        POST_SUBSIDY_FAILED, approved_months=20, accepted_months=9,
    ),
]
# fmt: on

# O&M requests for this year: (department key, system name, requested, last year's, workload change, last
# year's evaluation). Eligible and not, and one sent for review (PRJ-O3: above last year's and workload).
OPERATIONS: list[tuple[str, str, int, int | None, float | None, str]] = [
    ("rsj", "就业创业服务系统", 420_000, 400_000, 0.05, "良好"),
    ("mzj", "民政综合业务信息系统", 980_000, 600_000, 0.1, "合格"),
    ("jyj", "教育管理公共服务平台", 650_000, 620_000, 0.05, "优秀"),
    ("jyj", "中小学学籍管理系统", 300_000, 300_000, 0.0, "合格"),
    ("zrzyj", "自然资源一张图系统", 880_000, 850_000, 0.03, "良好"),
    ("sfj", "公共法律服务网", 150_000, 160_000, -0.05, "合格"),
    ("yy_dsj", "沂源县政务数据共享交换平台", 360_000, 350_000, 0.02, "良好"),
    ("yy_dsj", "沂源县网格化服务管理系统", 200_000, 200_000, 0.0, "合格"),
]


# --- dates -------------------------------------------------------------------------------------------


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _move_back(project: Project, approved_on: dt.date) -> Project:
    """Move the approval (and the application before it) back so that it was approved on ``approved_on``."""
    shift = (
        _days((timezone.localdate(project.decided_at) - approved_on).days) if project.decided_at else _days(0)
    )
    changes: dict[str, Any] = {"decided_at": (project.decided_at or timezone.now()) - shift}
    for field in ("created_at", "submitted_at", "centre_opinion_at"):
        value = getattr(project, field)
        if value is not None:
            changes[field] = value - shift
    Project.objects.filter(pk=project.pk).update(**changes)
    project.refresh_from_db()
    return project


# --- helpers -----------------------------------------------------------------------------------------


@dataclass
class Loader:
    today: dt.date
    departments: dict[str, Department]
    notes: list[str]

    def unit_actor(self, project: Project) -> Actor:
        """The unit's account where the demo has one (教育局: ``project_unit``), else the platform."""
        return _actor("project_unit") if project.unit_id == self.departments["jyj"].pk else SYSTEM

    def authority(self, project: Project) -> Actor:
        return _actor("yy_admin" if project.jurisdiction_id == COUNTY else "admin_dsj")

    def attempt(self, what: str, step: Callable[[], Any]) -> Any:
        """Run a step; a refusal the demo data causes becomes a note instead of a failed load."""
        try:
            with transaction.atomic():  # a refused stage leaves nothing half done
                return step()
        except RuleBlocked as exc:
            self.notes.append(f"{what}被拦截：{'；'.join(f'{d.rule_id} {d.reason}' for d in exc.decisions)}")
        except (Conflict, ValidationFailed) as exc:
            self.notes.append(f"{what}未能完成：{exc}")
        return None

    # --- construction ----------------------------------------------------------------------------

    def name_responsibilities(self, project: Project) -> None:
        construction.construction_update(
            actor=self.unit_actor(project), project_id=project.pk, expected_version=None,
            responsible_person="王建国" if project.unit_id != self.departments["jyj"].pk else "李晓燕",
            implementing_body=f"{project.unit.name}信息中心", supervisor_unit="山东正信工程咨询监理有限公司",
        )  # fmt: skip

    def start(self, project: Project, started_on: dt.date) -> None:
        construction.construction_start(
            actor=self.unit_actor(project), project_id=project.pk, started_on=started_on
        )

    def file_reports(self, project: Project, *, until: dt.date, ended_on: dt.date | None = None,
                     skip_last_overdue: bool = False) -> int:  # fmt: skip
        """File the progress report of every period due by ``until`` (construction ending ``ended_on``),
        each a week after its period ended (by ``until``, or by five days after the end of construction);
        with ``skip_last_overdue`` the last period whose deadline has passed is left unfiled."""
        rs = steps.ruleset_of(project)
        lc = steps.lifecycle_of(project)
        cadence = construction.report_cadence(rs, lc.pilot)
        approved_on = construction.approved_on(project)
        periods = due_periods(cadence, approved_on, until, ended_on)
        if skip_last_overdue:
            grace = int(rs.value(construction.REPORT_GRACE_DAYS))
            late = [p for p in periods if p.end + _days(grace) < until]
            if late:
                periods = [p for p in periods if p.label != late[-1].label]
        cap = until if ended_on is None else min(until, ended_on + _days(5))
        ceiling = int(project.approved_amount or project.amount)
        total = len(periods) + 1
        for i, p in enumerate(periods, start=1):
            share = min(95, round(100 * i / total)) if ended_on is None else round(100 * i / len(periods))
            construction.progress_report_file(
                actor=self.unit_actor(project), project_id=project.pk, period=p.label, progress=share,
                spent=ceiling * share // 100, on=max(min(p.end + _days(7), cap), p.start),
                content=f"{p.label} 期：按计划推进，累计完成建设内容约 {share}%，未发生重大变更和安全事件。",
            )  # fmt: skip
        return len(periods)

    # --- acceptance ------------------------------------------------------------------------------

    def build_and_apply(self, project: Project, ended_on: dt.date) -> dt.date:
        """Construction ended on ``ended_on``, trial run, acceptance file and application; the application
        date."""
        unit = self.unit_actor(project)
        construction.construction_end(actor=unit, project_id=project.pk, ended_on=ended_on)
        trial = ended_on + _days(2)
        acceptance.trial_run_start(actor=unit, project_id=project.pk, started_on=trial)
        acceptance.trial_run_end(actor=unit, project_id=project.pk, ended_on=trial + _days(35), normal=True)
        acceptance.acceptance_prepare(
            actor=unit, project_id=project.pk, expected_version=None, final_inspection_done=True,
            dengbao_tested=True, materials=[m for m in MATERIALS if m != CONFIRMATION],
        )  # fmt: skip
        applied = trial + _days(40)
        acceptance.acceptance_apply(actor=unit, project_id=project.pk, on=applied)
        acceptance.panel_record(
            actor=self.authority(project), project_id=project.pk, members=5, third_party=4, names=PANEL_NAMES
        )
        return applied

    def accept(self, project: Project, spec: LifecycleSpec) -> Project:
        """Built, trial run, applied, confirmed, accepted ``accepted_months`` ago, report filed, results
        registered and the self-evaluation filed within its window."""
        accepted_on = add_months(self.today, -spec.accepted_months)
        ended = accepted_on - _days(75)
        self.file_reports(project, until=self.today, ended_on=ended)
        applied = self.build_and_apply(project, ended)
        authority = self.authority(project)
        acceptance.sharing_confirm(actor=authority, project_id=project.pk, expected_version=None,
                                   on=applied + _days(10))  # fmt: skip
        project.refresh_from_db()
        project, _ = acceptance.acceptance_decide(
            actor=authority, project_id=project.pk, expected_version=project.version, on=accepted_on,
            opinion="项目按批复完成建设内容，试运行稳定，数据共享情况经确认符合要求，验收小组一致同意通过竣工验收。",
        )  # fmt: skip
        acceptance.report_file(actor=authority, project_id=project.pk, on=accepted_on + _days(12))
        unit = self.unit_actor(project)
        evaluation.contract_ip_record(actor=unit, project_id=project.pk, assigns=True)
        for kind, label in DELIVERABLES.items():
            evaluation.deliverable_register(actor=unit, project_id=project.pk, kind=kind,
                                            description=f"{label}已移交并登记", on=accepted_on + _days(20))  # fmt: skip
        evaluation.self_evaluation_file(
            actor=unit, project_id=project.pk, on=min(self.today, add_months(accepted_on, 7)),
            report="项目按期建成并通过验收，运行稳定；绩效目标基本实现，数据共享按承诺落实；存在的问题已制定整改计划。",
        )  # fmt: skip
        return project

    # --- funds -----------------------------------------------------------------------------------

    def tranches(self, project: Project, *, pay_first: bool, second: bool = True) -> None:
        finance = _actor("finance")
        approved = int(project.approved_amount or project.amount)
        first = funds.tranche_schedule(actor=finance, project_id=project.pk, amount=approved * 4 // 10,
                                       purpose="合同签订后首期拨付（40%）")  # fmt: skip
        if second:
            funds.tranche_schedule(actor=finance, project_id=project.pk, amount=approved * 4 // 10,
                                   purpose="建设进度过半后第二期拨付（40%）")  # fmt: skip
        if pay_first:
            self.attempt(
                f"“{project.name}”第 1 批拨付",
                lambda: funds.tranche_pay(actor=finance, tranche_id=first.pk, expected_version=None,
                                          voucher=f"淄财拨〔{self.today.year}〕{first.pk:04d}号", on=self.today),
            )  # fmt: skip


def _experts() -> dict[int, Actor]:
    return {
        e.pk: actor_for_user(e.user, request_id=REQUEST_ID)
        for e in Expert.objects.filter(jurisdiction_id=CITY, user__isnull=False).select_related("user")
        if e.user is not None
    }


def _plan(loader: Loader, taken: list[tuple[LifecycleSpec, Project]]) -> None:
    """This year's annual plan of each jurisdiction: every project listed (created and issued if missing),
    then the 动态新增 added after the issue and left awaiting approval."""
    year = loader.today.year
    for code in sorted({p.jurisdiction_id for _, p in taken}):
        ours = [(s, p) for s, p in taken if p.jurisdiction_id == code]
        authority = loader.authority(ours[0][1])
        plan = AnnualPlan.objects.filter(jurisdiction_id=code, year=year).first()
        if plan is None:
            plan = funds.plan_create(actor=authority, jurisdiction=code, year=year)
        listed = set(PlanEntry.objects.filter(plan=plan).values_list("project_id", flat=True))
        for spec, project in ours:
            if spec.stage == DYNAMIC or project.pk in listed:
                continue
            basis = "" if plan.state == PlanState.DRAFT else f"市政府抄告单〔{year}〕21号"
            entry = funds.plan_add(actor=authority, plan_id=plan.pk, project_id=project.pk, expected_version=None,
                                   amount=int(project.approved_amount or project.amount), basis=basis)  # fmt: skip
            if entry.dynamic:  # the plan was issued before the demo: approved as an addition at once
                funds.plan_addition_approve(actor=authority, entry_id=entry.pk, basis=basis)
        plan.refresh_from_db()
        if plan.state == PlanState.DRAFT and plan.entries.exists():
            funds.plan_issue(actor=authority, plan_id=plan.pk, expected_version=plan.version,
                             document_number=PLAN_NUMBER.format(year=year))  # fmt: skip
        for spec, project in ours:
            if spec.stage == DYNAMIC and project.pk not in listed:
                funds.plan_add(actor=authority, plan_id=plan.pk, project_id=project.pk, expected_version=None,
                               amount=int(project.approved_amount or project.amount),
                               basis=ADDITION_BASIS.format(year=year))  # fmt: skip


def _drive(loader: Loader, spec: LifecycleSpec, project: Project) -> None:
    today = loader.today
    approved_on = construction.approved_on(project)
    stage = spec.stage
    loader.name_responsibilities(project)
    if stage == NOT_STARTED:
        loader.tranches(project, pay_first=False, second=False)
        return
    loader.start(project, approved_on + _days(20 if stage != DYNAMIC else 10))
    if stage == ON_TRACK:
        loader.file_reports(project, until=today)
        loader.tranches(project, pay_first=True)
    elif stage == OVERDUE:
        loader.file_reports(project, until=today, skip_last_overdue=True)
        loader.tranches(project, pay_first=True)
        construction.change_request(
            actor=loader.unit_actor(project), project_id=project.pk,
            content="将原定自建的短信通知模块改为使用市一体化大数据平台统一消息服务，节省的投资用于数据治理",
            reason="市一体化大数据平台已提供统一消息服务，按集约化建设要求不再单独建设",
        )  # fmt: skip
    elif stage == DYNAMIC:
        loader.tranches(project, pay_first=False, second=False)
    elif stage == BLOCKED_K2:
        ended = today - _days(70)
        loader.file_reports(project, until=today, ended_on=ended)
        loader.build_and_apply(project, ended)
        loader.tranches(project, pay_first=True)
        _offline_promise(project)
    elif stage == ACCEPTED:
        loader.accept(project, spec)
        loader.tranches(project, pay_first=True, second=False)
    elif stage == GRADED_FAIL:
        loader.accept(project, spec)
        loader.tranches(project, pay_first=True, second=False)
        _grade_failed(loader, project)
    elif stage == POST_SUBSIDY_FAILED:
        funds.funding_mode_set(actor=loader.authority(project), project_id=project.pk, mode="post_subsidy")
        loader.accept(project, spec)
        _post_subsidy_failed(loader, project)


def _offline_promise(project: Project) -> None:
    """The unit takes its promised resource offline after applying for acceptance (PRJ-K2 then refuses)."""
    rid = project.resources.filter(direction=Direction.PROVIDE).values_list("resource_id", flat=True).first()
    if rid is not None:
        catalog.resource_offline(actor=_steward(project.unit), resource_id=rid, expected_version=None,
                                 reason=OFFLINE_REASON)  # fmt: skip


def _steward(unit: Department) -> Actor:
    """The unit's data steward (``<key>_steward``), else the platform."""
    user = (
        get_user_model()
        .objects.filter(profile__department=unit, username__endswith="_steward")
        .order_by("id")
        .first()
    )
    return actor_for_user(user, request_id=REQUEST_ID) if user is not None else SYSTEM


def _grade_failed(loader: Loader, project: Project) -> None:
    """Selected for the key evaluation, graded 不合格 two and a half months ago with three problems: one
    past its deadline and open (PRJ-E2), one fixed in time, one still within its deadline."""
    authority = loader.authority(project)
    graded = loader.today - _days(75)
    evaluation.key_evaluation_select(actor=authority, project_id=project.pk, selected=True)
    evaluation.key_evaluation_grade(
        actor=authority, project_id=project.pk, grade=Grade.FAIL.value, on=graded,
        problems=[
            ("风险预警模型误报率高，未按设计接入在线监测数据，预警功能实际未发挥作用", loader.today - _days(30)),
            ("系统日志留存不足六个月，不符合等级保护要求", loader.today - _days(45)),
            ("部分企业安全生产许可证信息未按承诺每日更新", loader.today + _days(60)),
        ],
    )  # fmt: skip
    fixed = project.problems.filter(deadline=loader.today - _days(45)).first()
    if fixed is not None:
        evaluation.problem_fixed(actor=authority, problem_id=fixed.pk, on=loader.today - _days(50))


def _post_subsidy_failed(loader: Loader, project: Project) -> None:
    """后补助: 启动资金 paid before the evaluation, which passed, then the subsidy; the re-check failed (a
    direct write: no service grades twice) and finance recovers both (PRJ-F4)."""
    authority, finance = loader.authority(project), _actor("finance")
    lc = steps.lifecycle_of(project)
    approved = int(project.approved_amount or project.amount)
    startup = funds.tranche_schedule(actor=finance, project_id=project.pk, amount=approved * 2 // 10, startup=True,
                                     purpose="试点启动资金（20%）")  # fmt: skip
    loader.attempt(
        f"“{project.name}”启动资金拨付",
        lambda: funds.tranche_pay(actor=finance, tranche_id=startup.pk, expected_version=None,
                                  voucher=f"淄财拨〔{loader.today.year}〕{startup.pk:04d}号", on=loader.today),
    )  # fmt: skip
    evaluation.key_evaluation_select(actor=authority, project_id=project.pk, selected=True)
    evaluation.key_evaluation_grade(actor=authority, project_id=project.pk, grade=Grade.PASS.value,
                                    on=add_months(lc.accepted_on or loader.today, 4))  # fmt: skip
    subsidy = funds.tranche_schedule(actor=finance, project_id=project.pk, amount=approved * 7 // 10,
                                     purpose="考核验收合格后拨付后补助资金（70%）")  # fmt: skip
    paid = loader.attempt(
        f"“{project.name}”后补助拨付",
        lambda: funds.tranche_pay(actor=finance, tranche_id=subsidy.pk, expected_version=None,
                                  voucher=f"淄财拨〔{loader.today.year}〕{subsidy.pk:04d}号", on=loader.today),
    )  # fmt: skip
    if paid is None:
        return
    Lifecycle.objects.filter(project=project).update(key_evaluation_grade=Grade.FAIL.value)
    loader.attempt(f"“{project.name}”资金收回",
                   lambda: funds.recovery_issue(actor=finance, project_id=project.pk, on=loader.today))  # fmt: skip


def _operations(loader: Loader) -> None:
    year = loader.today.year
    for key, name, budget, last, workload, grade in OPERATIONS:
        system = InformationSystem.objects.filter(department=loader.departments[key], name=name).first()
        if system is None:
            loader.notes.append(f"演示信息系统清单中没有“{name}”，未申请运维经费")
            continue
        request = partial(
            operations.operations_request, actor=_steward(system.department), system_id=system.pk, year=year,
            requested_budget=budget, last_budget=last, workload_change=workload, last_evaluation=grade,
        )  # fmt: skip
        loader.attempt(f"“{name}”运维经费申请", request)
    operations.operations_check(actor=_actor("admin_dsj"), jurisdiction=CITY, year=year, on=loader.today)
    operations.operations_check(actor=_actor("yy_admin"), jurisdiction=COUNTY, year=year, on=loader.today)


def _take_one(loader: Loader, spec: ProjectSpec, experts: dict[int, Actor], demo: int) -> Project | None:
    """``spec`` taken to approval; None (with a note) when the demo data holds it at a gate."""
    project = _take(spec, loader.departments, experts, demo, [])
    if project.state == ProjectState.APPROVED:
        return project
    held = "；".join(f"{d.rule_id} {d.reason}" for d in services.decisions(project, "A") if d.blocks)
    state = ProjectState(project.state).label
    loader.notes.append(
        f"“{spec.name}”（{project.unit.name}）停在“{state}”，立项被拦截：{held or '见项目审查意见'}"
    )
    return None


@transaction.atomic
def load_project_lifecycle() -> str:
    """The lifecycle demo (skipped when loaded); a summary line."""
    if Project.objects.filter(name=LIFECYCLE[0].project.name).exists():
        return "项目建设与验收：演示数据已存在，跳过。"
    today = steps.today()
    loader = Loader(today=today, departments=_departments(), notes=[])
    experts = _experts()
    demo = Expert.objects.get(user__username=DEMO_EXPERT).pk
    taken: list[tuple[LifecycleSpec, Project]] = []
    for spec in LIFECYCLE:
        project = _take_one(loader, spec.project, experts, demo)
        if project is not None:
            taken.append((spec, _move_back(project, add_months(today, -spec.approved_months))))
    _plan(loader, taken)
    for spec, project in taken:
        project.refresh_from_db()
        loader.attempt(
            f"“{project.name}”（{STAGE_LABELS[spec.stage]}）", partial(_drive, loader, spec, project)
        )
    notices = funds.recovery_sweep(actor=_actor("finance"), jurisdiction=CITY, on=today)
    _operations(loader)
    return _summary(loader, taken, len(notices))


def _summary(loader: Loader, taken: list[tuple[LifecycleSpec, Project]], swept: int) -> str:
    ids = [p.pk for _, p in taken]
    states = Counter(Project.objects.filter(pk__in=ids).values_list("state", flat=True))
    paid = Tranche.objects.filter(project_id__in=ids, state=TrancheState.PAID).count()
    frozen = Lifecycle.objects.filter(project_id__in=ids, funds_frozen=True).count()
    pending = PlanEntry.objects.filter(
        project_id__in=ids, dynamic=True, addition_approved_at__isnull=True
    ).count()
    notices = RecoveryNotice.objects.filter(project_id__in=ids).count()
    rows = Counter(
        OperationsReview.objects.filter(year=loader.today.year).filter(Q(eligible=True) | Q(eligible=False))
        .values_list("eligible", flat=True)
    )  # fmt: skip
    line = (
        f"项目建设与验收：{len(taken)} 个项目（已立项 {states[ProjectState.APPROVED]}，已验收 "
        f"{states[ProjectState.ACCEPTED]}）；{loader.today.year} 年度计划已下达（动态新增待批准 {pending}），"
        f"已拨付 {paid} 批，资金收回通知 {notices} 份（本次逾期未开工清查 {swept} 份，冻结 {frozen} 个项目）；"
        f"运维经费资格审查 {rows[True] + rows[False]} 个系统（符合 {rows[True]}，不符合 {rows[False]}）。"
    )
    return line + "".join(f"\n注意：{n}" for n in loader.notes)


__all__ = ["LIFECYCLE", "OPERATIONS", "STAGE_LABELS", "LifecycleSpec", "load_project_lifecycle"]
