"""Demo data for IT projects (gates S and A): 淄博市's expert pool and projects in every state, built only
through ``sanbu.projects.services`` after the catalog, exchange and inventory demo.

The expert pool (专家库, 370300): 15 experts from universities, the three carriers, testing and
evaluation bodies and one government employee (淄博市教育局, so recusal shows on 教育局's draws); three are
in the secrecy pool and some declared conflicts with units. Each has a login (role ``专家``) so that the
panels can score; the demo account ``expert`` is 刘建华.

The projects (``PROJECTS``), applied for by the demo account ``project_unit`` for 淄博市教育局 and by the
platform (SYSTEM) for other units, reviewed by ``admin_dsj`` (``yy_admin`` in 沂源县). Some are held at a
gate for a reason the platform itself knows, which the project's decisions show (``BLOCKED``):

- PRJ-S2: a 新建 draft that declares no sharing needs;
- PRJ-S4: a draft for next year applied for after the deadline, not as a 动态新增;
- PRJ-A3: a reviewed 改建 of 教育局's system whose 密评 failed (and which runs on a private network);
- PRJ-A7: a reviewed project of 沂源县大数据中心, which has systems not docked to the exchange platform;
- PRJ-S5: two similar phases of one project (split detection; see ``SPLIT``).

Panels are drawn by ``services.expert_draw`` with seeds chosen here so that the ``expert`` account has one
open review task and scored ones; the seed is recorded as for any draw. Plan years are relative to today
(next year as a 动态新增, or the year after next), so the application window passes where it should.
Loading is skipped when the pool already exists.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sanbu.catalog.models import Resource
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.errors import RuleBlocked
from sanbu.inventory.models import InformationSystem, MipinStatus, SystemStatus
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import actor_for_user
from sanbu.orgs.services import user_create
from sanbu.policy.panel import draw, recuse
from sanbu.policy.rules.projects import MIN_SECRECY_EXPERTS, REQUIRED_MATERIALS
from sanbu.projects import services
from sanbu.projects.inputs import ProjectData
from sanbu.projects.models import Expert, ExpertAssignment, Project, ProjectState

from .data import CITY, DEMO_PASSWORD, DEPARTMENTS, dept_uscc, quick_demo_hashing

REQUEST_ID = "demo-load"
SEED = 0x20261125
PANEL = 5

# --- the expert pool ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertSpec:
    username: str
    name: str
    employer: str
    title: str
    specialties: tuple[str, ...]
    secrecy: bool = False
    department: str = ""  # a demo department key when the expert works for one (not third party)
    conflicts: tuple[str, ...] = ()  # demo department keys the expert declared a conflict with


DEMO_EXPERT = "expert"
EXPERTS: list[ExpertSpec] = [
    ExpertSpec(DEMO_EXPERT, "刘建华", "山东理工大学计算机科学与技术学院", "教授", ("软件工程", "数据治理")),
    ExpertSpec("expert02", "王立新", "山东理工大学电气与电子工程学院", "教授", ("网络安全",), secrecy=True),
    ExpertSpec("expert03", "孙晓梅", "淄博职业学院电子信息学院", "副教授", ("软件工程", "信息化咨询")),
    ExpertSpec(
        "expert04",
        "陈志刚",
        "中国电信股份有限公司淄博分公司",
        "高级工程师",
        ("网络安全", "信息化咨询"),
        conflicts=("jyj", "gaj"),
    ),
    ExpertSpec(
        "expert05", "赵明", "中国移动通信集团山东有限公司淄博分公司", "高级工程师", ("网络安全", "软件工程")
    ),
    ExpertSpec(
        "expert06",
        "李娜",
        "中国联合网络通信有限公司淄博市分公司",
        "高级工程师",
        ("数据治理",),
        conflicts=("wjw",),
    ),
    ExpertSpec("expert07", "张伟", "山东省软件评测中心", "高级工程师", ("软件工程", "信息化咨询")),
    ExpertSpec(
        "expert08", "周静", "齐鲁工业大学（山东省科学院）山东省计算中心", "研究员", ("数据治理", "密码应用")
    ),
    ExpertSpec(
        "expert09",
        "吴刚",
        "山东省网络安全等级保护测评中心",
        "高级工程师",
        ("网络安全", "密码应用"),
        secrecy=True,
    ),
    ExpertSpec(
        "expert10", "郑海燕", "山东省商用密码应用安全性评估中心", "正高级工程师", ("密码应用",), secrecy=True
    ),
    ExpertSpec("expert11", "马强", "淄博市教育局电化教育馆", "高级工程师", ("软件工程",), department="jyj"),
    ExpertSpec("expert12", "黄磊", "山东理工大学管理学院", "副教授", ("数据治理", "信息化咨询")),
    ExpertSpec(
        "expert13",
        "杨帆",
        "浪潮软件集团有限公司",
        "高级工程师",
        ("软件工程", "信息化咨询"),
        conflicts=("mzj",),
    ),
    ExpertSpec("expert14", "徐丽", "中国电子技术标准化研究院", "高级工程师", ("数据治理",)),
    ExpertSpec("expert15", "何军", "淄博市工程咨询院", "正高级工程师", ("信息化咨询",)),
]

# --- the projects ------------------------------------------------------------------------------------

# Plan years: ``NEXT`` is next year as a 动态新增 (the deadline, 31 August, has passed), ``LATE`` next year
# without (blocked by PRJ-S4), ``AFTER`` the year after next (inside the window).
NEXT, LATE, AFTER = "next", "late", "after"

# Where a project is taken: the state it ends in (``ProjectState``) and how its panel concluded.
AGREE, REVISE, DISAGREE = "agree", "revise", "disagree"


@dataclass(frozen=True)
class ProjectSpec:
    dept: str
    name: str
    state: str
    kind: str = "新建"
    amount: int = 500_000
    plan: str = AFTER
    content: str = ""
    route: str = "依托市政务云部署，微服务架构，通过市一体化大数据平台获取共享数据"
    tasks: str = ""
    goals: str = ""
    uses: tuple[tuple[str, str], ...] = ()  # (department key, resource name)
    provides: tuple[str, ...] = ()  # the unit's own resource names
    provides_new: tuple[str, ...] = ()
    failed_mipin_system: bool = False  # the unit's running system whose 密评 failed is the one changed
    system: str = ""  # or the unit's system of this name
    involves_secrets: bool = False
    design_life_years: int = 6
    construction_months: int = 10
    conclusions: tuple[str, ...] = ()  # the panel's conclusions in draw order ("" not scored yet)
    centre: str = ""  # favourable / unfavourable
    approved_amount: int | None = None
    note: str = ""  # approval note, rejection or withdrawal reason
    integrates_systems: bool = False
    cross_boundary: bool = False
    expert_open: bool = False  # the demo expert is on the panel and has not scored
    expert_scored: bool = False  # the demo expert is on the panel and scored


S = ProjectState
PROJECTS: list[ProjectSpec] = [
    # 淄博市教育局 (the demo project_unit): every step of the unit's side
    # PRJ-S2: 新建 without sharing needs
    ProjectSpec(
        "jyj",
        "中小学课后服务管理系统",
        S.DRAFT,
        amount=450_000,
        content="建设全市中小学课后服务管理系统，实现课后服务课程、师资、学生报名和服务费管理",
        tasks="课后服务课程管理、学生报名、师资排班、服务费收支管理",
        goals="覆盖全市 400 所中小学，家长线上报名率达到 90%",
    ),
    # PRJ-S4: next year, after the deadline, not a 动态新增
    ProjectSpec(
        "jyj",
        "中小学生体质健康监测系统",
        S.DRAFT,
        amount=380_000,
        plan=LATE,
        content="采集全市中小学生体质健康测试数据，分析体质健康趋势，向学校和家长推送改进建议",
        tasks="体测数据采集、体质健康分析、家校反馈",
        goals="全市中小学生体测数据年度采集率 100%",
        uses=(("jyj", "中小学学生学籍信息"), ("gaj", "户籍人口基本信息")),
    ),
    ProjectSpec(
        "jyj",
        "学生综合素质评价系统（一期）",
        S.SUBMITTED,
        amount=180_000,
        content="建设学生综合素质评价系统，记录学生思想品德、学业水平、身心健康、艺术素养和社会实践情况",
        route="政务云部署，微服务架构",
        tasks="综合素质评价记录、学期评价报告",
        goals="覆盖全市初中学生，评价记录线上化率 100%",
        uses=(("jyj", "中小学学生学籍信息"),),
        provides_new=("学生综合素质评价信息",),
    ),
    # PRJ-S5: one project split in two
    ProjectSpec(
        "jyj",
        "学生综合素质评价系统（二期）",
        S.DRAFT,
        amount=160_000,
        content="建设学生综合素质评价系统，记录学生思想品德、学业水平、身心健康、艺术素养和社会实践情况",
        route="政务云部署，微服务架构",
        tasks="综合素质评价记录、学期评价报告",
        goals="覆盖全市高中学生，评价记录线上化率 100%",
        uses=(("jyj", "中小学学生学籍信息"),),
    ),
    ProjectSpec(
        "jyj",
        "学生资助精准认定系统",
        S.SUBMITTED,
        amount=560_000,
        plan=NEXT,
        content="对接民政、公安等部门的困难群众和户籍信息，实现家庭经济困难学生精准认定和资助资金直达",
        tasks="困难学生认定、资助名单比对、资金发放跟踪",
        goals="家庭经济困难学生认定免提交证明材料，认定时间缩短到 5 个工作日",
        uses=(
            ("mzj", "最低生活保障对象信息"),
            ("mzj", "特困人员供养信息"),
            ("mzj", "孤儿和事实无人抚养儿童信息"),
            ("mzj", "临时救助信息"),
            ("gaj", "户籍人口基本信息"),
        ),
        provides=("学生资助信息",),
    ),
    # PRJ-A3: the system's 密评 failed, it runs on a private network
    ProjectSpec(
        "jyj",
        "智慧校园安全监控系统扩容改造",
        S.REVIEWED,
        kind="改建",
        amount=1_280_000,
        content="对全市中小学校园安全监控系统扩容改造，新增校园出入口和周界监控点位，完善一键报警和应急联动",
        tasks="监控点位扩容、一键报警联动、校园安全事件处置",
        goals="中小学校园重点部位监控覆盖率 100%，报警响应不超过 3 分钟",
        uses=(("jyj", "学校基本信息"),),
        provides_new=("校园安全事件信息",),
        failed_mipin_system=True,
        conclusions=(AGREE, AGREE, REVISE, AGREE, AGREE),
        centre="favourable",
        expert_scored=True,
    ),
    ProjectSpec(
        "jyj",
        "校园一卡通系统升级",
        S.WITHDRAWN,
        kind="扩建",
        amount=300_000,
        content="升级校园一卡通系统，支持电子社保卡和电子学生证",
        tasks="校园消费、门禁和借阅一卡通",
        goals="全市 60 所学校一卡通升级",
        uses=(("jyj", "中小学学生学籍信息"),),
        note="经与市大数据局沟通，校园一卡通纳入全市“一卡通”统一建设，本项目撤回。",
    ),
    # other units, applied for by the platform
    ProjectSpec(
        "mzj",
        "社会救助家庭经济状况核对系统升级",
        S.APPROVED,
        kind="扩建",
        amount=1_860_000,
        plan=NEXT,
        system="民政综合业务信息系统",
        content="扩展社会救助家庭经济状况核对范围，增加社保、不动产、公积金、车辆和市场主体信息的自动比对",
        tasks="核对范围扩展、核对报告自动生成、救助对象动态复核",
        goals="核对时间由 15 个工作日缩短到 3 个工作日，年度动态复核率 100%",
        uses=(
            ("rsj", "社会保险参保人员信息"),
            ("zrzyj", "不动产登记信息"),
            ("scjgj", "市场主体登记信息"),
            ("zjj", "住房公积金缴存信息"),
            ("gaj", "机动车登记信息"),
        ),
        provides=("最低生活保障对象信息", "特困人员供养信息"),
        integrates_systems=True,
        conclusions=(AGREE, AGREE, AGREE, REVISE, AGREE),
        centre="favourable",
        approved_amount=1_720_000,
        note="同意立项。核定投资 172 万元，按专家意见压缩定制开发工作量。",
        expert_scored=True,
    ),
    ProjectSpec(
        "wjw",
        "出生医学证明“一件事”联办系统",
        S.APPROVED,
        amount=2_350_000,
        plan=NEXT,
        content="新生儿出生医学证明签发后，联动办理户口登记、医保参保和社保卡申领，家长一次申请、一次办结",
        tasks="出生医学证明电子化、户口登记联办、医保参保联办",
        goals="新生儿联办事项平均办理时间由 20 天缩短到 3 天",
        uses=(
            ("gaj", "出生登记信息"),
            ("gaj", "户籍人口基本信息"),
            ("rsj", "社会保险参保人员信息"),
            ("ybj", "基本医疗保险参保信息"),
        ),
        provides=("出生医学证明信息",),
        cross_boundary=True,
        conclusions=(AGREE, AGREE, AGREE, AGREE, AGREE),
        centre="favourable",
        note="同意立项。",
    ),
    ProjectSpec(
        "jtysj",
        "城市公交客流分析与线网优化系统",
        S.IN_REVIEW,
        amount=980_000,
        content="汇聚公交刷卡、车辆定位和城市运行数据，分析客流时空分布，辅助公交线网和班次优化",
        tasks="客流分析、线网评估、班次优化建议",
        goals="主城区公交线网重复系数下降 10%，高峰满载率下降 15%",
        uses=(("dsj", "城市运行监测指标信息"), ("jtysj", "公交线路站点信息")),
        conclusions=(AGREE, REVISE, "", "", ""),
        expert_open=True,
    ),
    ProjectSpec(
        "gaj",
        "人口信息智能核查系统",
        S.IN_REVIEW,
        amount=3_200_000,
        involves_secrets=True,
        content="对户籍人口、流动人口和出生死亡信息开展智能比对核查，发现重户、错项和应销未销户口",
        route="部署在公安信息网，国产化软硬件",
        tasks="人口信息比对、问题数据核查、核查结果反馈",
        goals="重户、错项问题发现率提高到 95%，问题户口 30 日内处置完毕",
        uses=(("wjw", "死亡医学证明信息"), ("mzj", "殡葬火化信息")),
        provides=("户籍人口基本信息",),
    ),
    ProjectSpec(
        "scjgj",
        "食品安全风险预警分析系统",
        S.REJECTED,
        amount=1_450_000,
        plan=NEXT,
        content="汇聚食品抽检、投诉和生产经营许可信息，建立风险预警模型，对高风险主体实施精准监管",
        tasks="风险数据汇聚、预警模型、精准监管任务推送",
        goals="高风险食品生产经营主体抽检覆盖率 100%",
        uses=(("scjgj", "食品安全抽检信息"), ("scjgj", "消费投诉举报信息")),
        conclusions=(DISAGREE, DISAGREE, AGREE, DISAGREE, REVISE),
        centre="unfavourable",
        note="专家论证多数意见为不同意立项：建设内容与省市场监管局统建的智慧监管平台重复，需求和绩效目标不够明确。请结合省级平台重新论证。",
    ),
    ProjectSpec(
        "zd_dsj",
        "张店区基层治理数字化系统",
        S.SUBMITTED,
        amount=1_200_000,
        content="整合网格事件、12345 热线诉求和社区服务设施信息，实现基层治理事件一网统管、闭环处置",
        tasks="事件统一受理、分拨处置、考核评价",
        goals="基层治理事件按期办结率达到 98%",
        uses=(("zd_dsj", "张店区12345热线诉求信息"), ("gaj", "户籍人口基本信息")),
        provides=("张店区社区服务设施信息",),
    ),
    # PRJ-A7 (沂源县): the unit has systems not docked to the exchange platform
    ProjectSpec(
        "yy_dsj",
        "沂源县乡村振兴数字化服务系统",
        S.REVIEWED,
        amount=680_000,
        content="建设沂源县乡村振兴数字化服务系统，汇聚农村产权交易、政务服务办件和人口信息，服务乡镇和村级办事",
        tasks="农村产权交易服务、村级代办、乡村振兴指标监测",
        goals="全县 12 个乡镇、634 个行政村代办事项线上办理率 80%",
        uses=(("yy_dsj", "沂源县政务服务办件信息"), ("gaj", "户籍人口基本信息")),
        provides=("沂源县农村产权交易信息",),
        conclusions=(AGREE, AGREE, AGREE, AGREE, AGREE),
        centre="favourable",
    ),
]

BLOCKED: dict[str, str] = {
    "PRJ-S2": "中小学课后服务管理系统",
    "PRJ-S4": "中小学生体质健康监测系统",
    "PRJ-A3": "智慧校园安全监控系统扩容改造",
    "PRJ-A7": "沂源县乡村振兴数字化服务系统",
}
SPLIT = ("学生综合素质评价系统（二期）", "学生综合素质评价系统（一期）")  # the draft, and its sibling

OPINIONS = {
    AGREE: "需求明确，建设内容与已有系统不重复，技术路线可行，投资估算基本合理，同意立项。",
    REVISE: "建设必要，建议进一步细化数据共享清单，压缩定制开发工作量，修改完善后立项。",
    DISAGREE: "建设内容与已有平台功能重复，需求和绩效目标不够明确，不同意立项。",
}
SCORES = {AGREE: (86, 91, 88, 84, 90), REVISE: (76, 79, 74, 78, 75), DISAGREE: (55, 58, 52, 60, 57)}

# --- loading -----------------------------------------------------------------------------------------


def _actor(username: str) -> Actor:
    return actor_for_user(get_user_model().objects.get(username=username), request_id=REQUEST_ID)


def _departments() -> dict[str, Department]:
    usccs = {dept_uscc(i, d): d.key for i, d in enumerate(DEPARTMENTS)}
    return {usccs[d.uscc]: d for d in Department.objects.filter(uscc__in=list(usccs))}


def _experts(departments: dict[str, Department], authority: Actor) -> dict[int, Actor]:
    """Register the pool (with a login each); the scoring actors by expert id."""
    User = get_user_model()
    actors: dict[int, Actor] = {}
    with quick_demo_hashing():
        for spec in EXPERTS:
            user: Any = User.objects.filter(username=spec.username).first()
            if user is None:
                user = user_create(
                    actor=SYSTEM,
                    username=spec.username,
                    password=DEMO_PASSWORD,
                    department=None,
                    roles=[("expert", CITY)],
                    display_name=f"评审专家 {spec.name}",
                )
            expert = services.expert_register(
                actor=authority,
                jurisdiction=CITY,
                name=spec.name,
                employer=spec.employer,
                title=spec.title,
                specialties=spec.specialties,
                secrecy=spec.secrecy,
                third_party=not spec.department,
                department_id=departments[spec.department].pk if spec.department else None,
                conflicts=[departments[k].pk for k in spec.conflicts],
                user_id=user.pk,
            )
            actors[expert.pk] = actor_for_user(user, request_id=REQUEST_ID)
    return actors


def _resource(departments: dict[str, Department], dept_key: str, name: str) -> int:
    resource = Resource.objects.filter(department=departments[dept_key], name=name).order_by("id").first()
    if resource is None:
        raise LookupError(f"演示目录中没有 {dept_key} 的资源“{name}”")
    return resource.pk


def _systems(spec: ProjectSpec, unit: Department) -> tuple[int, ...]:
    qs = InformationSystem.objects.filter(department=unit).order_by("id")
    if spec.failed_mipin_system:
        system = qs.filter(status=SystemStatus.RUNNING, mipin_status=MipinStatus.FAILED).first()
    elif spec.system:
        system = qs.filter(name=spec.system).first()
    else:
        return ()
    if system is None:
        raise LookupError(f"演示信息系统清单中没有项目“{spec.name}”所涉及的系统")
    return (system.pk,)


def _materials(spec: ProjectSpec, unit: Department, uses: list[str], kind_key: str) -> dict[str, str]:
    place = (
        "沂源县"
        if unit.jurisdiction_id == "370323"
        else "张店区"
        if unit.jurisdiction_id == "370303"
        else "淄博市"
    )
    sharing = "、".join(uses) or "不使用其他部门资源"
    provided = "、".join([*spec.provides, *spec.provides_new]) or "无"
    texts = {
        "tasks": spec.tasks or spec.content,
        "place": f"{place}（部署在{'公安信息网' if spec.involves_secrets else '市政务云'}）",
        "basis_necessity": f"落实《淄博市人民政府关于推进新型智慧城市体制机制建设的实施意见》，{spec.content}。",
        "performance_goals": spec.goals,
        "implementation_method": "公开招标选择承建单位，分模块开发、集中测试、分批上线，便于统一管理和验收",
        "intensive_needs": "依托市政务云计算、存储和安全资源及市一体化大数据平台建设，不新建机房，不单独采购硬件",
        "sharing_analysis": f"使用：{sharing}；提供：{provided}。均通过市一体化大数据平台申请和发布。",
        "security_protection": "按最小必要原则使用个人信息，敏感字段脱敏展示，访问留痕，数据传输和存储加密",
        "classified_protection": "按网络安全等级保护第二级（涉及大量个人信息的按第三级）定级、备案和测评",
        "crypto_application": "采用国产商用密码算法（SM2/SM3/SM4）实现身份鉴别、传输和存储加密，上线前开展密评",
        "secure_reliable": "操作系统、数据库和中间件采用安全可靠产品，纳入政务云统一管理",
        "om_plan": "由承建单位提供 1 年免费运维，之后纳入部门年度运维计划",
        "party_meeting": f"经{unit.name}党组（党委）会议审议通过",
    }
    required = services.ruleset_for(unit.jurisdiction_id).value(REQUIRED_MATERIALS)[kind_key]
    return {k: v for k, v in texts.items() if k in required}


def _data(spec: ProjectSpec, unit: Department, departments: dict[str, Department]) -> ProjectData:
    year = timezone.localdate().year
    uses = tuple(_resource(departments, d, n) for d, n in spec.uses)
    kind_key = "om" if spec.kind in ("运维", "购买服务") else "build"
    return ProjectData(
        name=spec.name,
        kind=spec.kind,
        amount=spec.amount,
        plan_year=year + (2 if spec.plan == AFTER else 1),
        dynamic_addition=spec.plan == NEXT,
        funding_source="市级财政预算资金" if unit.jurisdiction_id == CITY else "县级财政资金",
        content=spec.content,
        technical_route=spec.route,
        involves_secrets=spec.involves_secrets,
        materials=_materials(spec, unit, [n for _, n in spec.uses], kind_key),
        uses=uses,
        provides=tuple(_resource(departments, _key(departments, unit), n) for n in spec.provides),
        provides_new=spec.provides_new,
        systems=_systems(spec, unit),
        design_life_years=spec.design_life_years,
        construction_months=spec.construction_months,
        integrates_systems=spec.integrates_systems,
        cross_boundary=spec.cross_boundary,
    )


def _key(departments: dict[str, Department], unit: Department) -> str:
    return next(k for k, d in departments.items() if d.pk == unit.pk)


def _panel(project: Project, size: int, seed: str) -> list[int]:
    """The panel ``services.expert_draw`` would draw with ``seed`` (the same pool, recusal and draw)."""
    rs = services.ruleset_for(project.jurisdiction_id)
    needed = int(rs.value(MIN_SECRECY_EXPERTS)) if project.involves_secrets else 0
    _, pool = services.expert_pool(project)
    eligible, _ = recuse(pool, project.unit_id)
    return [c.id for c in draw(eligible, size, needed, seed)]


def _seed(project: Project, spec: ProjectSpec, demo_expert: int) -> str:
    """The first seed whose panel has the demo expert where the spec wants them (open or scored) or, for
    the other projects, leaves them out."""
    want = spec.expert_open or spec.expert_scored
    for i in range(1, 1000):
        seed = f"{SEED + project.pk * 1000 + i:x}"
        panel = _panel(project, PANEL, seed)
        if (demo_expert in panel) == want and (
            not spec.expert_open or panel.index(demo_expert) >= sum(1 for c in spec.conclusions if c)
        ):
            return seed
    raise LookupError(f"找不到满足条件的抽取种子：{spec.name}")


def _review(
    project: Project, spec: ProjectSpec, authority: Actor, experts: dict[int, Actor], demo: int
) -> Project:
    services.expert_draw(
        actor=authority,
        project_id=project.pk,
        expected_version=project.version,
        size=PANEL,
        seed=_seed(project, spec, demo),
    )
    assignments = list(ExpertAssignment.objects.filter(project=project, draw__current=True).order_by("id"))
    for n, (a, conclusion) in enumerate(zip(assignments, spec.conclusions, strict=False)):
        if conclusion:
            services.expert_score(
                actor=experts[a.expert_id],
                assignment_id=a.pk,
                score=SCORES[conclusion][n % 5],
                conclusion=conclusion,
                opinion=OPINIONS[conclusion],
            )
    project.refresh_from_db()
    if spec.centre:
        text = (
            "经审核，项目建设内容与市一体化大数据平台和已建系统不重复，数据共享需求清晰，同意备案。"
            if spec.centre == "favourable"
            else "项目建设内容与省级统建平台功能重复，不同意备案。"
        )
        project = services.centre_opinion_record(
            actor=authority,
            project_id=project.pk,
            expected_version=project.version,
            opinion=spec.centre,
            text=text,
        )
    return project


def _take(
    spec: ProjectSpec,
    departments: dict[str, Department],
    experts: dict[int, Actor],
    demo: int,
    problems: list[str],
) -> Project:
    unit = departments[spec.dept]
    applicant = _actor("project_unit") if spec.dept == "jyj" else SYSTEM
    authority = _actor("yy_admin" if unit.jurisdiction_id == "370323" else "admin_dsj")
    project = services.project_create(actor=applicant, data=_data(spec, unit, departments), unit_id=unit.pk)
    if spec.state == ProjectState.DRAFT:
        return project
    project, _ = services.project_submit(
        actor=applicant, project_id=project.pk, expected_version=project.version
    )
    if spec.state == ProjectState.WITHDRAWN:
        return services.project_withdraw(
            actor=applicant, project_id=project.pk, expected_version=project.version, reason=spec.note
        )
    if spec.state == ProjectState.SUBMITTED:
        return project
    project = _review(project, spec, authority, experts, demo)
    if spec.state == ProjectState.APPROVED:
        try:
            project, _ = services.project_approve(
                actor=authority,
                project_id=project.pk,
                expected_version=project.version,
                note=spec.note,
                approved_amount=spec.approved_amount,
            )
        except RuleBlocked as exc:  # the demo data changed under it: say so rather than fail the load
            problems.append(f"“{spec.name}”未能立项：{'；'.join(d.reason for d in exc.decisions)}")
    elif spec.state == ProjectState.REJECTED:
        project = services.project_reject(
            actor=authority, project_id=project.pk, expected_version=project.version, reason=spec.note
        )
    return project


@transaction.atomic
def load_projects() -> str:
    """The expert pool and the demo projects (skipped when the pool exists); a summary line."""
    if Expert.objects.filter(jurisdiction_id=CITY).exists():
        return "信息化项目：专家库已存在，跳过。"
    departments = _departments()
    experts = _experts(departments, _actor("admin_dsj"))
    demo = Expert.objects.get(user__username=DEMO_EXPERT).pk
    problems: list[str] = []
    for spec in PROJECTS:
        _take(spec, departments, experts, demo, problems)
    states = Counter(Project.objects.values_list("state", flat=True))
    shown = "，".join(f"{label} {states[value]}" for value, label in ProjectState.choices if states[value])
    pool = Expert.objects.filter(jurisdiction_id=CITY)
    line = (
        f"信息化项目：专家库 {pool.count()} 名（保密专家 {pool.filter(secrecy=True).count()} 名）；"
        f"项目 {sum(states.values())} 个（{shown}）。"
    )
    return line + ("".join(f"\n注意：{p}" for p in problems))


__all__ = ["BLOCKED", "DEMO_EXPERT", "EXPERTS", "PROJECTS", "SPLIT", "load_projects"]
