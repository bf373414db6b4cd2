"""规则集 pages: every jurisdiction's ruleset with each parameter's value (in words), citation and where it
was set; the version history; the authority proposes changes into a draft, publishes or discards it.

Every POST calls the services of ``orgs.rulesets`` (the same as the API); their errors are shown in place.
User text is escaped by the templates.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sanbu.core.actor import Actor
from sanbu.core.errors import FieldError, NotFound, SanbuError, ValidationFailed
from sanbu.orgs import rulesets
from sanbu.orgs.models import RulesetState, RulesetVersion
from sanbu.policy.rules.projects import MATERIALS, ROUTES
from sanbu.policy.rulesets import PARAMETER, RULE, Change, Parameter, Ruleset, RuleSwitch
from sanbu.policy.sources import SOURCES, source_of

from .common import actor_of, error_view, int_or_none

# Parameter names in words, and the unit of a number.
LABELS: dict[str, tuple[str, str]] = {
    "exchange.conditional_answer_days": ("有条件共享申请的答复期限", "个工作日"),
    "exchange.conditional_steps": ("有条件共享申请的办理步骤", ""),
    "exchange.need_answer_days": ("供需对接需求的答复期限", "个工作日"),
    "exchange.objection_answer_days": ("数据异议的核实答复期限", "个工作日"),
    "exchange.interface_sunset_notice_days": ("接口版本弃用的提前通知期", "个工作日"),
    "projects.review_tiers": ("按投资额的评审档次", ""),
    "projects.province_escalation": ("报省级论证评估的限额", ""),
    "projects.application_deadline": ("年度项目申报截止日期", ""),
    "projects.library_valid_years": ("项目库入库有效期", "年"),
    "projects.split_similarity": ("拆分申报的相似度阈值", ""),
    "projects.separate_kinds": ("不再单独建设的项目类别及提示关键词", ""),
    "projects.required_materials": ("申报材料", ""),
    "projects.min_secrecy_experts": ("涉密项目论证的保密专家最少人数", "名"),
    "projects.min_design_life_years": ("项目设计使用年限下限", "年"),
    "projects.max_construction_months": ("项目施工周期上限", "个月"),
    "projects.trial_run_months": ("验收前的试运行期", "个月"),
    "projects.evaluation_window_months": ("绩效自评的时间窗", ""),
    "projects.start_within_months": ("批复后须开工的期限", "个月"),
    "projects.report_cadence": ("建设进度报告的报送周期", ""),
    "projects.pilot_report_cadence": ("试点项目进度报告的报送周期", ""),
    "projects.report_grace_days": ("进度报告的报送宽限期", "天"),
    "projects.acceptance_apply_within_months": ("试运行期满后申请验收的期限", "个月"),
    "projects.final_inspection_required": ("验收前须初验", ""),
    "projects.acceptance_materials": ("竣工验收材料", ""),
    "projects.large_project_amount": ("较大项目的金额起点", "元"),
    "projects.acceptance_panel": ("验收小组的组成", ""),
    "projects.acceptance_report_filing_months": ("验收报告的备案期限", "个月"),
    "projects.om_budget_tolerance": ("运维经费增幅的容差", ""),
    "projects.required_deliverables": ("须登记归政府所有的成果", ""),
    "inventory.docking_window_days": ("判定已对接的网关调用窗口", "天"),
}
STEPS = {"accept": "平台管理部门受理", "approve": "提供部门审核同意"}
MATERIAL_KINDS = {"build": "建设类", "om": "运维类"}
ESCALATION = {"infrastructure": "基础设施类、跨部门跨层级集成类", "other": "其他类别（不含运维）"}
ACTIONS = ("publish", "discard", "remove", "refresh")


def label(key: str) -> str:
    return LABELS.get(key, (key, ""))[0]


def _money(amount: Any) -> str:
    if isinstance(amount, int) and amount >= 10000 and amount % 10000 == 0:
        return f"{amount // 10000} 万元"
    return f"{amount} 元"


def _plain(value: Any) -> str:
    if value is None:
        return "未设置"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "、".join(str(v) for v in value) or "（空）"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def describe(key: str, value: Any) -> list[str]:
    """A parameter's value in words, one line each (review tiers, deadlines and lists the way the
    documents say them); an unknown shape falls back to its JSON."""
    try:
        return _describe(key, value)
    except (KeyError, TypeError, ValueError, AttributeError):
        return [json.dumps(value, ensure_ascii=False)]


def _describe(key: str, value: Any) -> list[str]:
    if value is None:
        return ["未设置"]
    if key == "projects.review_tiers":
        tiers = sorted(value, key=lambda t: int(t["from"]))
        lines = []
        for i, tier in enumerate(tiers):
            upper = tiers[i + 1]["from"] if i + 1 < len(tiers) else None
            start = tier["from"]
            if upper is None:
                span = f"{_money(start)}（含）以上" if start else "不论金额"
            else:
                span = f"{_money(start)}（含）至 {_money(upper)}" if start else f"低于 {_money(upper)}"
            lines.append(f"{span}：{ROUTES.get(tier['route'], tier['route'])}")
        return lines
    if key == "projects.province_escalation":
        return [f"{ESCALATION.get(k, k)}项目 {_money(v)}（含）以上报省级" for k, v in value.items()]
    if key == "projects.application_deadline":
        return [f"每年 {value['month']} 月 {value['day']} 日前申报下一年度项目"]
    if key == "projects.evaluation_window_months":
        return [f"项目投入运行后 {value[0]} 至 {value[1]} 个月内"]
    if key == "exchange.conditional_steps":
        return [" → ".join(STEPS.get(s, s) for s in value)]
    if key == "projects.required_materials":
        return [
            f"{MATERIAL_KINDS.get(k, k)}：{'、'.join(MATERIALS.get(m, m) for m in v)}"
            for k, v in value.items()
        ]
    if key == "projects.split_similarity":
        return [f"名称、内容、技术路线的平均相似度 ≥ {value} 视为相似"]
    if isinstance(value, dict):
        return [f"{k}：{_plain(v)}" for k, v in value.items()]
    unit = LABELS.get(key, ("", ""))[1]
    if isinstance(value, int) and not isinstance(value, bool) and unit:
        return [f"{value} {unit}"]
    return [_plain(value)]


def set_in(item: Parameter | RuleSwitch) -> str:
    return f"{item.origin}.yaml" if item.version == 0 else f"{item.origin} 第 {item.version} 版"


def _as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _field(rs: Ruleset, key: str, posted: Any = None) -> dict[str, Any]:
    """The new-value input for parameter ``key``: a number for an integer, else the JSON text."""
    p = rs.parameters.get(key)
    value = p.value if p else None
    return {
        "key": key,
        "number": _is_int(value),
        "text": posted if posted is not None else (str(value) if _is_int(value) else _as_json(value)),
        "lines": describe(key, value) if p else [],
    }


def _require_view(actor: Actor) -> None:
    if not actor.may(rulesets.VIEW):
        raise Http404("您无权查看规则集。")


@login_required
def ruleset_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_view(actor)
    rows = rulesets.ruleset_list(actor=actor)
    return render(request, "web/policy/list.html", {"rows": rows})


def _change_rows(v: RulesetVersion) -> list[dict[str, Any]]:
    out = []
    for i, d in enumerate(v.changes):
        c = Change.from_dict(d)
        if c.kind == RULE:
            old, new = ["启用" if c.old else "停用"], ["启用" if c.new else "停用"]
        else:
            old, new = describe(c.key, c.old), describe(c.key, c.new)
        out.append({"index": i + 1, "c": c, "label": label(c.key) if c.kind == PARAMETER else source_of(c.key),
                    "old": old, "new": new})  # fmt: skip
    return out


def _page(
    request: HttpRequest,
    name: str,
    *,
    error: Any = None,
    status: int = 200,
    failed: str = "",
    failed_id: int = 0,
) -> HttpResponse:
    actor = actor_of(request)
    _require_view(actor)
    try:
        rs = rulesets.ruleset_get(actor=actor, name=name)
        versions = rulesets.version_list(actor=actor, name=name)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    can_edit = rulesets.may(actor, rulesets.EDIT, name)
    drafts = [v for v in versions if v.state == RulesetState.DRAFT]
    posted = request.POST if request.method == "POST" else {}
    key = posted.get("key") if failed == "parameter" else request.GET.get("key")
    key = key if key in rs.parameters else next(iter(sorted(rs.parameters)), "")
    field_errors: dict[str, str] = {}
    for e in error.errors if error is not None else []:
        if "." not in e["field"] and "[" not in e["field"]:  # the form's own fields
            field_errors.setdefault(e["field"], e["message"])
    ctx = {
        "rs": rs,
        "jurisdictions": rulesets.jurisdiction_names(rs.jurisdictions),
        "heirs": rulesets.jurisdiction_names(
            [c for c in rulesets.applies_to(name) if c not in rs.jurisdictions]
        ),
        "parameters": [
            {"key": k, "label": label(k), "p": p, "lines": describe(k, p.value), "set_in": set_in(p)}
            for k, p in sorted(rs.parameters.items())
        ],
        "switches": [
            {"id": k, "s": s, "source": source_of(k), "set_in": set_in(s)}
            for k, s in sorted(rs.rules.items())
        ],
        "versions": [
            {
                "v": v,
                "changes": _change_rows(v),
                "stale": v.state == RulesetState.DRAFT and v.base != rs.version,
            }
            for v in versions
        ],
        "draft": drafts[0] if drafts else None,
        "can_edit": can_edit,
        "keys": [(k, label(k)) for k in sorted(rs.parameters)],
        "field": _field(rs, key, posted.get("new") if failed == "parameter" else None),
        "rule_ids": sorted(set(SOURCES) | set(rs.rules)),
        "error": error,
        "field_errors": field_errors,
        "failed": failed,
        "failed_id": failed_id,
        "posted": posted,
    }
    return render(request, "web/policy/detail.html", ctx, status=status)


@login_required
def ruleset_detail(request: HttpRequest, name: str) -> HttpResponse:
    """GET: the ruleset. POST: propose a change (``kind`` parameter or rule) into the open draft."""
    if request.method != "POST":
        return _page(request, name)
    actor = actor_of(request)
    _require_view(actor)
    post = request.POST
    kind = RULE if post.get("kind") == RULE else PARAMETER
    position = 0  # of the proposed change in the draft
    try:
        draft = rulesets.open_draft(actor=actor, name=name)
        base = rulesets.current(name)
        change = _posted_change(kind, post, base)
        note = post.get("note", "").strip()
        if draft is None:
            rulesets.ruleset_draft(actor=actor, name=name, changes=[change], note=note)
            done = "已起草新版本：可继续添加修改，核对无误后发布。"
        else:
            kept = [Change.from_dict(d) for d in draft.changes]
            kept = [c for c in kept if (c.kind, c.key) != (change.kind, change.key)]
            position = len(kept)
            rulesets.ruleset_draft_update(
                actor=actor, version_id=draft.pk, changes=[*kept, change], note=note or draft.note,
                expected_revision=int_or_none(post.get("revision")),
            )  # fmt: skip
            done = "修改已加入草稿。"
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _page(
            request, name, error=error_view(_form_errors(exc, position)), status=exc.status, failed=kind
        )
    messages.success(request, done)
    return redirect("policy-ruleset", name=name)


def _posted_change(kind: str, post: Any, base: Ruleset) -> Change:
    citation = post.get("citation", "")
    key = post.get("key", "").strip()
    if kind == RULE:
        return Change(RULE, key, post.get("enabled") == "1", citation)
    raw = post.get("new", "").strip()
    current = base.parameters[key].value if key in base.parameters else None
    try:
        new = json.loads(raw)
    except json.JSONDecodeError as exc:
        if isinstance(current, str):
            new = raw  # a text parameter: the text itself
        else:
            raise ValidationFailed(
                rulesets.INVALID, "规则集修改有误，请按提示修改。",
                errors=[FieldError("new", "invalid_json", f"新值不是有效的 JSON（{exc.msg}，第 {exc.colno} 列）：请按当前值的格式填写。")],
            ) from exc  # fmt: skip
    return Change(PARAMETER, key, new, citation)


def _form_errors(exc: SanbuError, position: int) -> SanbuError:
    """The errors of the change just proposed (at ``position`` in the draft) named by the form's fields
    (``new``, ``citation``, ``key``), shown next to them; those of the draft's other changes keep their
    ``changes[i]`` name and are listed in the error box."""
    if not isinstance(exc, ValidationFailed):
        return exc
    prefix = f"changes[{position}]."
    errors = [
        FieldError(e.field.removeprefix(prefix), e.code, e.message) if e.field.startswith(prefix) else e
        for e in exc.errors
    ]
    return ValidationFailed(exc.code, exc.message, errors=errors, **exc.details)


@login_required
def value_field(request: HttpRequest, name: str) -> HttpResponse:
    """htmx: the new-value input of the chosen parameter, filled with its current value."""
    actor = actor_of(request)
    _require_view(actor)
    try:
        rs = rulesets.ruleset_get(actor=actor, name=name)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    key = request.GET.get("key", "")
    if key not in rs.parameters:
        raise Http404("参数不存在。")
    return render(request, "web/policy/_value_field.html", {"field": _field(rs, key), "field_errors": {}})


@login_required
@require_POST
def version_act(request: HttpRequest, name: str, pk: int, action: str) -> HttpResponse:
    """Publish, discard, remove one change from, or bring up to date (refresh) a draft."""
    actor = actor_of(request)
    _require_view(actor)
    if action not in ACTIONS:
        raise Http404("未知操作。")
    post = request.POST
    try:
        v = rulesets.version_get(actor=actor, version_id=pk)
        if v.name != name:
            raise NotFound(rulesets.VERSION_NOT_FOUND, "规则集版本不存在。")
        if action == "publish":
            v = rulesets.ruleset_publish(actor=actor, version_id=pk)
            done = f"已发布第 {v.number} 版，即时生效。"
        elif action == "discard":
            rulesets.ruleset_discard(actor=actor, version_id=pk, reason=post.get("reason", ""))
            done = "草稿已放弃。"
        else:
            changes = [Change.from_dict(d) for d in v.changes]
            if action == "remove":
                index = int_or_none(post.get("index"))
                changes = [c for i, c in enumerate(changes, 1) if i != index]
            rulesets.ruleset_draft_update(
                actor=actor, version_id=pk, changes=changes, note=v.note,
                expected_revision=int_or_none(post.get("revision")),
            )  # fmt: skip
            done = "已从草稿中移除该项修改。" if action == "remove" else "草稿已按当前版本重新核对。"
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except SanbuError as exc:
        return _page(request, name, error=error_view(exc), status=exc.status, failed=action, failed_id=pk)
    messages.success(request, done)
    return redirect("policy-ruleset", name=name)


@login_required
def version_simulate(request: HttpRequest, pk: int) -> HttpResponse:
    """What a version would change for the projects following its ruleset, before it is published."""
    from sanbu.projects.simulation import simulate

    try:
        result = simulate(actor=actor_of(request), version_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ValidationFailed as exc:
        return render(
            request, "web/policy/simulate.html", {"error": error_view(exc), "version_id": pk}, status=400
        )
    return render(request, "web/policy/simulate.html", {"r": result, "version_id": pk})
