"""Demo data for the information system inventory (SUP-1): 2–4 systems per demo department, registered
through ``inventory.services`` by each department's steward, after the catalog, exchange and usage demo.

Each department's first system is the one its catalog resources name as their source (``DeptSpec.system``);
the exchange demo's consumer apps carry the same names, so their gateway calls count for those systems.
Whether a system is docked is never written: it follows from the facts set up here.

- ``published``: the system provides up to two of its department's published, mounted resources (ones no
  earlier system of the department provides, when there are) → docked (provides);
- ``pending``: it provides only resources not yet published or mounted → not docked;
- ``-``: it provides nothing; docked only if an app of its department named after it called the gateway
  (人社一体化公共服务平台 and 医疗保障信息平台: the exchange demo's apps, counted by the usage demo).

On purpose, 淄博市教育局 (the demo project unit's department) and 沂源县大数据中心 (沂源县, whose ruleset
enables PRJ-A7) each have systems that are not docked, so the project gates can block for a real reason.

Lines read ``名称 | 状态 | 网络 | 政务云 | 等保 | 密评 | 安全可靠产品 | 提供 | 用途 | 建设项目``; 等保 is ``0`` (未定级)
or ``级别@测评日期``; 安全可靠产品 ``-`` means none. A 下线 system is registered 停用 and then retired with the
reason after ``#``. Loading is idempotent: a system already registered is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from sanbu.catalog.models import Resource, ResourceMount, ResourceState
from sanbu.core.actor import Actor
from sanbu.inventory import selectors, services
from sanbu.inventory.models import DengbaoLevel, InformationSystem, MipinStatus, Network, SystemStatus
from sanbu.inventory.selectors import Docking
from sanbu.inventory.services import SystemData
from sanbu.orgs.models import Department
from sanbu.orgs.selectors import actor_for_user

from .data import DEPARTMENTS, dept_uscc

REQUEST_ID = "demo-load"
PROVIDES_PUBLISHED = "published"
PROVIDES_PENDING = "pending"
PROVIDES_NONE = "-"
MAX_PROVIDED = 2

SYSTEMS: dict[str, str] = {
    "dsj": """
        淄博市一体化大数据平台 | 运行 | 政务外网 | 是 | 3@2024-09-12 | 已通过 | 麒麟操作系统、达梦数据库、东方通中间件 | published | 汇聚全市政务数据，支撑目录编制、共享交换与数据开放 | 淄博市一体化大数据平台建设项目（2023年）
        淄博市政务云管理平台 | 运行 | 政务外网 | 是 | 3@2025-03-20 | 已通过 | 鲲鹏服务器、openEuler操作系统 | published | 政务云资源申请、分配、计量与运维管理 | 淄博市政务云扩容项目（2024年）
        淄博市公共数据开放网站 | 运行 | 互联网 | 是 | 2@2024-06-18 | 未开展 | - | published | 向社会开放公共数据集与接口 | 淄博市公共数据开放平台建设项目（2021年）
    """,
    "gaj": """
        公安人口管理信息系统 | 运行 | 专网 | 否 | 4@2025-01-15 | 已通过 | 麒麟操作系统、人大金仓数据库 | published | 户籍人口、居民身份证、出入境证件的业务办理与管理 | 公安人口管理信息系统升级改造项目（2022年）
        公安交通管理综合应用平台 | 运行 | 专网 | 否 | 3@2024-11-05 | 已通过 | - | published | 机动车和驾驶人业务、交通违法处理 | 省公安厅统建项目
        智慧警务移动办公系统 | 在建 | 专网 | 否 | 0 | 未开展 | 统信操作系统 | - | 民警移动执法与警务办公 | 淄博市智慧警务建设项目（2025年）
    """,
    "scjgj": """
        市场主体登记注册系统 | 运行 | 政务外网 | 是 | 3@2024-08-22 | 已通过 | 达梦数据库 | published | 企业、个体工商户设立、变更、注销登记 | 省市场监管局统建项目
        食品安全智慧监管系统 | 运行 | 政务外网 | 是 | 2@2023-12-01 | 未开展 | - | published | 食品生产经营许可、抽检和日常检查 | 淄博市智慧市场监管项目（2022年）
        12315消费投诉处理系统 | 停用 | 互联网 | 否 | 2@2021-05-10 | 未开展 | - | - | 消费投诉举报受理（已由全国12315平台替代，停止使用） | 淄博市12315指挥中心建设项目（2016年）
    """,
    "mzj": """
        民政综合业务信息系统 | 运行 | 政务外网 | 是 | 3@2024-10-16 | 已通过 | 麒麟操作系统、达梦数据库 | published | 婚姻登记、殡葬、社会救助等民政业务办理 | 淄博市民政综合业务系统整合项目（2022年）
        养老服务信息平台 | 运行 | 互联网 | 是 | 2@2024-04-09 | 未开展 | - | published | 养老机构备案、居家养老服务补贴管理 | 淄博市智慧养老服务平台项目（2023年）
    """,
    "rsj": """
        人社一体化公共服务平台 | 运行 | 互联网 | 是 | 3@2025-02-27 | 已通过 | 统信操作系统、人大金仓数据库 | - | 社保、就业、人才业务线上办理入口 | 淄博市人社一体化公共服务平台项目（2021年）
        社会保险经办管理信息系统 | 运行 | 政务外网 | 否 | 4@2024-12-03 | 已通过 | - | published | 参保登记、缴费核定和待遇发放 | 省人社厅统建项目
        就业创业服务系统 | 运行 | 政务外网 | 是 | 2@2024-03-14 | 未开展 | - | published | 就业登记、失业登记和创业补贴审核 | 淄博市就业创业信息化项目（2020年）
    """,
    "wjw": """
        全民健康信息平台 | 运行 | 政务外网 | 是 | 3@2024-07-30 | 已通过 | 鲲鹏服务器、达梦数据库 | published | 居民电子健康档案、电子病历汇聚与共享 | 淄博市全民健康信息平台二期项目（2023年）
        出生医学证明管理系统 | 运行 | 政务外网 | 否 | 2@2023-09-21 | 未开展 | - | published | 出生医学证明签发与管理 | 省卫生健康委统建项目
    """,
    "zrzyj": """
        自然资源一张图系统 | 运行 | 政务外网 | 是 | 3@2024-05-28 | 已通过 | 麒麟操作系统 | published | 国土空间规划、用途管制和确权登记一张图 | 淄博市国土空间基础信息平台项目（2022年）
        不动产登记信息系统 | 运行 | 政务内网 | 否 | 3@2024-09-02 | 已通过 | 人大金仓数据库 | published | 不动产登记受理、审核、登簿与发证 | 淄博市不动产登记“一窗受理”项目（2021年）
    """,
    "zjj": """
        住房城乡建设综合监管平台 | 运行 | 政务外网 | 是 | 2@2024-02-06 | 未开展 | - | published | 建筑市场、工程质量安全和房地产市场监管 | 淄博市智慧住建项目（2022年）
        城市燃气安全监测系统 | 在建 | 专网 | 是 | 0 | 未开展 | 国产物联网网关 | - | 燃气管网压力、泄漏实时监测 | 淄博市城市生命线安全工程（2025年）
    """,
    "jyj": """
        教育管理公共服务平台 | 运行 | 政务外网 | 是 | 3@2023-06-15 | 已通过 | 麒麟操作系统、达梦数据库 | published | 学校、教师、学生基础数据管理与教育政务服务 | 淄博市教育信息化2.0项目（2022年）
        中小学学籍管理系统 | 运行 | 政务外网 | 否 | 2@2023-11-08 | 未开展 | - | pending | 中小学生入学、转学、休学和毕业学籍管理 | 淄博市学籍管理系统改造项目（2019年）
        智慧校园安全监控系统 | 运行 | 专网 | 否 | 2@2022-10-20 | 未通过 | - | - | 中小学校园视频监控与一键报警 | 淄博市平安校园建设项目（2020年）
        教育考试报名系统 | 在建 | 互联网 | 是 | 0 | 未开展 | - | - | 中考、学业水平考试网上报名与缴费 | 淄博市智慧教育考试项目（2025年）
    """,
    "czj": """
        预算管理一体化系统 | 运行 | 政务外网 | 是 | 3@2025-01-09 | 已通过 | 统信操作系统、达梦数据库 | published | 预算编制、指标管理、支付和会计核算 | 省财政厅统建项目
        政府采购管理交易系统 | 运行 | 互联网 | 是 | 3@2024-06-25 | 已通过 | - | published | 政府采购计划、公告、电子招投标和合同 | 淄博市政府采购电子化项目（2021年）
        财政票据管理系统 | 下线 | 政务外网 | 否 | 2@2020-08-11 | 未开展 | - | - | 非税收入票据领用与核销 | 淄博市财政票据电子化项目（2017年）# 已并入预算管理一体化系统，原系统于2025年停止运行
    """,
    "fgw": """
        淄博市公共信用信息平台 | 运行 | 政务外网 | 是 | 3@2024-04-17 | 已通过 | 麒麟操作系统 | published | 归集公共信用信息，开展信用评价和联合奖惩 | 淄博市社会信用体系建设项目（2021年）
        投资项目在线审批监管平台 | 运行 | 互联网 | 否 | 2@2023-10-26 | 未开展 | - | - | 固定资产投资项目审批、核准和备案 | 国家发展改革委统建项目
    """,
    "spj": """
        政务服务一体化平台 | 运行 | 互联网 | 是 | 3@2025-04-02 | 已通过 | 鲲鹏服务器、统信操作系统、达梦数据库 | published | 一网通办受理、审批和电子证照调用 | 淄博市“一网通办”平台升级项目（2023年）
        工程建设项目审批管理系统 | 运行 | 政务外网 | 是 | 3@2024-08-14 | 已通过 | - | published | 工程建设项目全流程在线审批 | 淄博市工程建设项目审批制度改革项目（2020年）
    """,
    "swj": """
        金税工程系统 | 运行 | 专网 | 否 | 4@2024-11-20 | 已通过 | - | published | 税收征管、发票管理和纳税服务 | 国家税务总局统建项目
        电子税务局 | 运行 | 互联网 | 否 | 3@2024-11-20 | 已通过 | - | - | 纳税人网上办税 | 国家税务总局统建项目
    """,
    "sthjj": """
        生态环境监测监控平台 | 运行 | 政务外网 | 是 | 2@2024-01-23 | 未开展 | 国产物联网网关 | published | 空气、水环境质量和污染源在线监测 | 淄博市生态环境智慧监管项目（2022年）
        排污许可管理系统 | 运行 | 互联网 | 否 | 2@2023-08-30 | 未开展 | - | pending | 排污许可证申请、核发与执行报告 | 生态环境部统建项目
    """,
    "jtysj": """
        交通运输综合管理平台 | 运行 | 政务外网 | 是 | 3@2024-10-08 | 已通过 | 麒麟操作系统 | published | 道路运输、公交出租和路网运行管理 | 淄博市智慧交通一期项目（2022年）
        公交出行服务系统 | 运行 | 互联网 | 是 | 2@2024-05-13 | 未开展 | - | published | 实时公交查询与电子站牌 | 淄博市智慧公交项目（2021年）
    """,
    "yjj": """
        应急管理综合应用平台 | 运行 | 政务外网 | 是 | 3@2024-09-26 | 已通过 | 统信操作系统、人大金仓数据库 | published | 安全生产监管、应急值守和指挥调度 | 淄博市应急管理信息化项目（2022年）
        危险化学品安全风险监测预警系统 | 运行 | 专网 | 否 | 3@2024-03-07 | 已通过 | - | published | 重大危险源实时监测与预警 | 应急管理部统建项目
    """,
    "nyncj": """
        农业农村综合信息平台 | 运行 | 政务外网 | 是 | 2@2023-12-19 | 未开展 | - | published | 农业生产、农村经营管理和涉农补贴 | 淄博市数字农业农村项目（2022年）
        农产品质量安全追溯系统 | 停用 | 互联网 | 否 | 1@2021-04-15 | 未开展 | - | - | 农产品生产主体与检测信息追溯（待并入省平台） | 淄博市农产品质量安全追溯项目（2018年）
    """,
    "sfj": """
        司法行政综合管理平台 | 运行 | 政务外网 | 是 | 3@2024-07-11 | 已通过 | 麒麟操作系统 | published | 律师、公证、人民调解和社区矫正管理 | 淄博市智慧司法项目（2021年）
        公共法律服务网 | 运行 | 互联网 | 是 | 2@2024-07-11 | 未开展 | - | published | 法律咨询、法律援助网上申请 | 淄博市公共法律服务体系建设项目（2020年）
    """,
    "ybj": """
        医疗保障信息平台 | 运行 | 政务外网 | 否 | 4@2025-02-18 | 已通过 | 鲲鹏服务器、达梦数据库 | - | 医保参保、结算和基金监管（国家医保信息平台淄博部署） | 国家医疗保障局统建项目
        医保电子凭证服务系统 | 运行 | 互联网 | 是 | 3@2024-12-10 | 已通过 | - | published | 医保电子凭证激活、扫码就医购药 | 淄博市医保便民服务项目（2022年）
    """,
    "tyjrj": """
        退役军人信息管理系统 | 运行 | 政务外网 | 否 | 2@2023-07-05 | 未开展 | - | published | 退役军人信息采集、优抚和安置管理 | 退役军人事务部统建项目
        退役军人服务站管理系统 | 在建 | 互联网 | 是 | 0 | 未开展 | - | - | 区县、镇街服务站事项办理与走访记录 | 淄博市退役军人服务保障体系项目（2025年）
    """,
    "sjj": """
        审计管理系统 | 运行 | 政务内网 | 否 | 3@2024-06-04 | 已通过 | 麒麟操作系统 | published | 审计项目计划、实施和整改跟踪 | 审计署金审工程三期
        大数据审计分析平台 | 运行 | 政务内网 | 是 | 3@2025-03-12 | 已通过 | 鲲鹏服务器、达梦数据库 | - | 跨部门数据比对审计分析 | 淄博市大数据审计项目（2023年）
    """,
    "yy_dsj": """
        沂源县政务数据共享交换平台 | 运行 | 政务外网 | 是 | 3@2024-08-29 | 已通过 | 麒麟操作系统、达梦数据库 | published | 沂源县政务数据归集、共享与交换 | 沂源县数字政府建设项目（2022年）
        沂源县网格化服务管理系统 | 运行 | 政务外网 | 否 | 2@2023-05-17 | 未开展 | - | pending | 网格员事件上报、分拨和处置 | 沂源县社会治理网格化项目（2019年）
        沂源县视频会议系统 | 运行 | 政务外网 | 否 | 2@2022-09-08 | 未通过 | - | - | 县、乡镇两级视频会议 | 沂源县电子政务外网改造项目（2018年）
    """,
    "zd_gaj": """
        张店区人口管理系统 | 运行 | 专网 | 否 | 3@2024-05-21 | 已通过 | - | published | 辖区户籍和流动人口管理 | 市公安局统建项目
        张店区社区警务平台 | 运行 | 专网 | 否 | 2@2023-10-12 | 未开展 | - | published | 社区民警走访、重点场所管理 | 张店区智慧警务项目（2021年）
    """,
    "zd_dsj": """
        张店区城市大脑平台 | 运行 | 政务外网 | 是 | 3@2024-12-17 | 已通过 | 鲲鹏服务器、openEuler操作系统 | published | 城市运行监测、12345热线和网格事件联动 | 张店区城市大脑建设项目（2023年）
        张店区政务服务自助终端系统 | 运行 | 政务外网 | 否 | 2@2023-03-29 | 未开展 | - | published | 自助终端办件、打证 | 张店区“一网通办”自助服务项目（2020年）
    """,
    "lz_spj": """
        临淄区政务服务平台 | 运行 | 互联网 | 是 | 3@2024-06-12 | 已通过 | - | published | 区级政务服务事项受理与审批 | 临淄区“一网通办”项目（2022年）
        临淄区帮办代办系统 | 运行 | 政务外网 | 否 | 0 | 未开展 | - | published | 重点项目审批帮办代办记录 | 临淄区营商环境提升项目（2024年）
    """,
    "bs_mzj": """
        博山区民政业务系统 | 运行 | 政务外网 | 否 | 2@2023-09-14 | 未开展 | - | published | 低保、特困和养老服务业务办理 | 市民政局统建项目
        博山区社会救助核对系统 | 运行 | 政务外网 | 否 | 2@2023-09-14 | 未开展 | - | published | 救助对象家庭经济状况核对 | 博山区社会救助信息化项目（2021年）
    """,
    "ht_scjgj": """
        桓台县市场监管业务系统 | 运行 | 政务外网 | 否 | 2@2024-02-28 | 未开展 | - | published | 县级市场主体登记、许可和检查 | 市市场监管局统建项目
        桓台县食品安全快检系统 | 运行 | 政务外网 | 否 | 1@2022-06-16 | 未开展 | - | published | 农贸市场食品快速检测结果上报 | 桓台县食品安全示范县项目（2020年）
    """,
}


@dataclass(frozen=True)
class SystemSpec:
    dept_key: str
    data: SystemData
    provides: str  # published / pending / -
    retire_reason: str = ""


@dataclass(frozen=True)
class DemoSystem:
    """A demo system as loaded, with its derived docking (today) and why the demo set it up so."""

    dept_key: str
    system: InformationSystem
    docking: Docking
    intent: str


def _label(choices: type[SystemStatus] | type[Network] | type[MipinStatus], text: str) -> str:
    for value, label in choices.choices:
        if label == text:
            return str(value)
    raise ValueError(f"未知取值“{text}”")


def _parse_line(dept_key: str, line: str) -> SystemSpec:
    name, status, network, cloud, level, mipin, xinchuang, provides, purpose, rest = (
        p.strip() for p in line.split("|")
    )
    project, _, reason = rest.partition("#")
    level_text, _, tested = level.partition("@")
    retire = status == SystemStatus.RETIRED.label
    data = SystemData(
        name=name, purpose=purpose,
        status=SystemStatus.STOPPED if retire else _label(SystemStatus, status),
        network=_label(Network, network), on_gov_cloud=cloud == "是",
        dengbao_level=DengbaoLevel(int(level_text)), dengbao_test_date=date.fromisoformat(tested) if tested else None,
        mipin_status=_label(MipinStatus, mipin), xinchuang=xinchuang != "-",
        xinchuang_note="" if xinchuang == "-" else xinchuang, built_by_project=project.strip(),
    )  # fmt: skip
    return SystemSpec(dept_key, data, provides, reason.strip())


def system_specs() -> list[SystemSpec]:
    """Every demo system, in department order (each department's first is its ``DeptSpec.system``)."""
    out: list[SystemSpec] = []
    for dept in DEPARTMENTS:
        for line in SYSTEMS.get(dept.key, "").strip().splitlines():
            out.append(_parse_line(dept.key, line))
    return out


def _departments() -> dict[str, Department]:
    usccs = {dept_uscc(i, d): d.key for i, d in enumerate(DEPARTMENTS)}
    return {usccs[d.uscc]: d for d in Department.objects.filter(uscc__in=list(usccs))}


def _steward(dept_key: str) -> Actor:
    user = get_user_model().objects.get(username=f"{dept_key}_steward")
    return actor_for_user(user, request_id=REQUEST_ID)


def _resources(dept: Department, mode: str, used: set[int]) -> tuple[int, ...]:
    """The resources a system of ``dept`` provides: published and mounted ones (those no earlier system
    of the department provides first), or only ones not yet published or mounted."""
    if mode == PROVIDES_NONE:
        return ()
    mounted = ResourceMount.objects.filter(resource_id=OuterRef("pk"), is_current=True)
    qs = Resource.objects.filter(department=dept).annotate(mounted=Exists(mounted)).order_by("code", "id")
    if mode == PROVIDES_PUBLISHED:
        qs = qs.filter(state=ResourceState.PUBLISHED, mounted=True)
    else:
        qs = qs.exclude(state=ResourceState.PUBLISHED, mounted=True).exclude(state=ResourceState.OFFLINE)
    candidates = list(qs.values_list("pk", flat=True))
    picked = [pk for pk in candidates if pk not in used][:MAX_PROVIDED] or candidates[:1]
    used.update(picked)
    return tuple(picked)


@transaction.atomic
def load_inventory() -> str:
    """Register the demo systems not yet registered; a one-line summary for the command's output."""
    departments = _departments()
    existing = set(InformationSystem.objects.values_list("department_id", "name"))
    used: dict[str, set[int]] = {}
    made = 0
    for spec in system_specs():
        dept = departments.get(spec.dept_key)
        if dept is None or (dept.pk, spec.data.name) in existing:
            continue
        steward = _steward(spec.dept_key)
        data = replace(
            spec.data, provides=_resources(dept, spec.provides, used.setdefault(spec.dept_key, set()))
        )
        system = services.system_register(actor=steward, data=data, department_id=dept.pk)
        if spec.retire_reason:
            services.system_retire(
                actor=steward, system_id=system.pk, expected_version=system.version, reason=spec.retire_reason
            )
        made += 1
    systems = [d.docking for d in demo_systems()]
    docked = sum(1 for d in systems if d.docked)
    return f"信息系统清单：新登记 {made} 个信息系统；共 {len(systems)} 个，已对接 {docked}、未对接 {len(systems) - docked}。"


def _intent(spec: SystemSpec | None, docking: Docking) -> str:
    if docking.docked:
        return (
            "提供已发布并已挂接的目录资源"
            if docking.basis == selectors.PROVIDES
            else "同名应用近期调用共享网关"
        )
    if spec is None:
        return "未对接"
    if spec.provides == PROVIDES_PENDING:
        return "提供的目录资源尚未发布或挂接，且没有同名应用调用网关"
    if spec.provides == PROVIDES_PUBLISHED:
        return "部门尚无已发布并已挂接的资源"
    return "不提供目录资源，也没有同名应用调用网关"


def demo_systems(
    *, dept_key: str | None = None, docked: bool | None = None, today: date | None = None
) -> list[DemoSystem]:
    """The loaded demo systems (of one department when ``dept_key`` is given), with their docking on
    ``today`` and the reason the demo intends; ``docked`` keeps only docked (True) or undocked (False) ones.
    For other demo loaders (e.g. a project of 淄博市教育局 blocked by PRJ-A7)."""
    departments = _departments()
    if dept_key is not None:
        departments = {k: v for k, v in departments.items() if k == dept_key}
    keys = {d.pk: k for k, d in departments.items()}
    specs = {(s.dept_key, s.data.name): s for s in system_specs()}
    systems = list(
        InformationSystem.objects.filter(department_id__in=list(keys))
        .select_related("department")
        .order_by("department_id", "name", "id")
    )
    docking = selectors.docked_many(systems, today or timezone.localdate())
    out: list[DemoSystem] = []
    for s in systems:
        d = docking[s.pk]
        if docked is not None and d.docked != docked:
            continue
        key = keys[s.department_id]
        out.append(DemoSystem(key, s, d, _intent(specs.get((key, s.name)), d)))
    return out


__all__ = ["DemoSystem", "SystemSpec", "demo_systems", "load_inventory", "system_specs"]
