"""The named facts an indicator formula may read: one number per department and month, computed by
``facts.py`` from what the platform holds (as of the month's end where it keeps dates). Each has a
Chinese label for the drill-down and says which rows stand behind it (``drill``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FactName:
    key: str
    label: str
    drill: str = ""  # the kind of rows listed behind it ("resources", "requests", …); "" when none


FACT_NAMES: dict[str, FactName] = {
    f.key: f
    for f in (
        FactName("systems_running", "运行中的信息系统数", "systems"),
        FactName("systems_cataloged", "已编目（提供目录资源）的运行系统数", "systems"),
        FactName("systems_docked", "已对接共享平台的运行系统数", "systems"),
        FactName("systems_on_cloud", "部署在政务云的运行系统数", "systems"),
        FactName("catalog_registered", "已注册的目录资源数", "resources"),
        FactName("catalog_mounted", "已挂接的目录资源数", "resources"),
        FactName("catalog_published", "已发布的目录资源数", "resources"),
        FactName("catalog_items", "信息项数", "items"),
        FactName("catalog_items_linked", "已关联数据元的信息项数", "items"),
        FactName("catalog_due_update", "应按周期更新的已发布资源数", "resources"),
        FactName("catalog_updated", "按周期更新的已发布资源数", "resources"),
        FactName("conflicts_open", "未解决的一数一源冲突数", "conflicts"),
        FactName("duplicate_items", "重复采集的信息项数", "duplicates"),
        FactName("requests_due", "本月到期的共享申请数", "requests"),
        FactName("requests_on_time", "按期答复的共享申请数", "requests"),
        FactName("objections_due", "本月到期的数据异议数", "objections"),
        FactName("objections_on_time", "按期处理的数据异议数", "objections"),
        FactName("needs_due", "本月到期的供需对接需求数", "needs"),
        FactName("needs_on_time", "按期答复的供需对接需求数", "needs"),
        FactName("calls", "本月接口调用次数", "usage"),
        FactName("consumers", "本月调用本部门数据的部门数", "usage"),
        FactName("projects_checked", "在建和已验收项目数", "projects"),
        FactName("projects_passing", "关口检查无不通过项的项目数", "projects"),
        FactName("reports_due", "到期的建设进度报告数", "reports"),
        FactName("reports_overdue", "逾期未报的建设进度报告数", "reports"),
        FactName("funds_approved", "核定投资（元）", "projects"),
        FactName("funds_recovered", "被收回的资金（元）", "recoveries"),
        FactName("third_party", "第三方评估得分（0–100）"),
        FactName("public_feedback", "公众评价得分（0–100）"),
    )
}
