"""Template filters of the project pages: decision outcomes in Chinese with their colour, failed facts in
words, amounts in yuan, project state badges. Everything returned is plain text (the templates escape it)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

OUTCOME_LABELS = {"allow": "通过", "warn": "提示", "block": "不通过", "needs-review": "需审核"}
OUTCOME_CLASSES = {
    "allow": "state-published",
    "warn": "state-submitted",
    "block": "state-rejected",
    "needs-review": "blue",
}
STATE_CLASSES = {
    "draft": "state-draft",
    "submitted": "state-submitted",
    "in_review": "state-mounted",
    "reviewed": "state-approved",
    "approved": "state-published",
    "rejected": "state-rejected",
    "withdrawn": "state-offline",
    "accepted": "state-published",
}
FACT_LABELS = {
    "started_before_approval": "批准前已开工建设",
    "declared_sharing": "申报的共享资源数",
    "uses.missing": "不在目录中的资源",
    "uses.unpublished": "尚未发布的资源",
    "materials.missing": "缺少的申报材料",
    "application_date": "申报日期",
    "library_entry_date": "入库日期",
    "similar_projects": "本单位相似项目",
    "category": "项目类别",
    "joint_review": "同意的联合评审结论",
    "expert_review.assessed": "已经专家论证",
    "expert_review.passed": "专家论证通过",
    "expert_review.secrecy_experts": "保密专家人数",
    "builds_machine_room_or_cloud": "新建扩建机房、数据中心、云平台",
    "buys_server_hardware": "新增采购服务器、存储等硬件",
    "leases_internet_line": "单独租赁互联网出口",
    "private_network_not_merged": "专网未整合",
    "on_gov_cloud": "部署（迁移）到政务云",
    "uses_secure_reliable": "应用安全可靠产品",
    "crypto_compliant": "符合密码应用要求",
    "security_compliant": "符合等保和安全保密要求",
    "goals_clear": "绩效目标明确",
    "internal_integrated": "内部系统已整合",
    "unit_systems.shares": "未落实数据共享的本单位系统",
    "upgrades_unaccepted": "升级未验收项目的系统",
    "centre_opinion": "大数据中心备案意见",
    "hardware_outside_cloud_reason": "不上云的理由",
    "design_life_years": "设计使用年限（年）",
    "construction_months": "建设周期（月）",
    "unit_systems.undocked": "未对接共享交换平台的本单位系统",
    # after approval (gates F, K, O; checks C, E)
    "in_annual_plan": "列入年度建设计划", "requested": "本次申请拨付金额（元）", "tranches.paid": "已拨付金额（元）",
    "started_on": "开工日期", "balance": "结余资金（元）", "goals_or_content_changed": "建设目标或内容已变更",
    "evaluation_passed": "考核验收通过", "named.missing": "未明确的建设责任",
    "supervisor_secret_qualified": "监理具备涉密资质", "reports.missing": "未按期报送的进度报告",
    "reported_at_once": "及时报告", "pending_change_requests": "待审批的变更申请",
    "unapproved_content_changes": "未经批准的变更", "trial_run_months": "试运行时长（月）",
    "trial_run_normal": "试运行稳定正常", "extension_requested": "已提交延期验收申请",
    "final_inspection_done": "已完成终验", "system_docked": "系统已对接共享平台",
    "system_can_share": "系统可与其他部门共享", "sharing_confirmed": "已确认数据共享情况",
    "promised.failing": "未注册、挂接或发布的承诺资源", "panel": "验收小组组成",
    "dengbao_tested": "等保（分保）测评通过", "report_filed_on": "验收报告备案日期",
    "shares_as_required": "按要求共享数据", "resources.failing": "未发布或未挂接的应共享资源",
    "collects_again": "重复采集的数据", "major_hazards": "存在重大安全隐患", "on_extranet": "部署在政务外网",
    "docked": "已对接共享平台", "requested_budget": "申请运维经费（元）", "last_evaluation": "上年应用绩效评价",
    "supervision_issues": "运维监管问题", "self_evaluation_filed_on": "自评价报告报送日期",
    "key_evaluation_grade": "重点绩效评价结果", "problems.overdue": "逾期未整改的问题",
    "contract_assigns_ip": "合同约定成果归政府", "deliverables.missing": "未登记的项目成果",
}  # fmt: skip
VALUE_WORDS = {"none": "尚未备案", "favourable": "同意", "unfavourable": "不同意"}


def _plain(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        if "name" in value:
            rest = "，".join(f"{k} {_plain(v)}" for k, v in value.items() if k != "name")
            return f"{value['name']}（{rest}）" if rest else str(value["name"])
        return "，".join(f"{k} {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_plain(v) for v in value) if value else "（无）"
    text = str(value)
    return VALUE_WORDS.get(text, text)


@register.filter
def outcome_label(outcome: Any) -> str:
    return OUTCOME_LABELS.get(str(outcome), str(outcome))


@register.filter
def outcome_class(outcome: Any) -> str:
    return OUTCOME_CLASSES.get(str(outcome), "plain")


@register.filter
def fact_label(name: Any) -> str:
    return FACT_LABELS.get(str(name), str(name))


@register.filter
def fact_value(value: Any) -> str:
    """A fact's value in words: 是/否, lists joined by 、, similar projects with their amounts."""
    return _plain(value)


@register.filter
def yuan(value: Any) -> str:
    """An amount in yuan with thousands separators (12,500,000 元)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,} 元"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def project_state_class(state: Any) -> str:
    return STATE_CLASSES.get(str(state), "plain")


@register.filter
def count_outcome(decisions: Any, outcome: str) -> int:
    """How many of ``decisions`` (objects or dicts) have this outcome."""
    total = 0
    for d in decisions or ():
        value = d.get("outcome") if isinstance(d, dict) else getattr(d, "outcome", "")
        total += str(value) == outcome
    return total
