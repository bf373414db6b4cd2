"""Rulesets JSON API (``/api/policy/…``): read each jurisdiction's ruleset, propose, publish and discard
versions. Schema in, one selector or service of ``orgs.rulesets``, schema out; schemas named ``Policy…``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field

from sanbu.core.actor import request_actor
from sanbu.core.api import IdPath
from sanbu.policy.rulesets import Change, Parameter, Ruleset, RuleSwitch
from sanbu.policy.sources import source_of

from . import rulesets
from .models import RulesetState, RulesetVersion

router = Router(tags=["policy"])

NamePath = Annotated[str, Path(max_length=64, description="规则集名称，如 zibo")]


class PolicyJurisdictionOut(Schema):
    code: str
    name: str


class PolicyRulesetSummaryOut(Schema):
    name: str
    title: str
    parent: str | None
    chain: list[str] = Field(description="继承链，自身在前")
    jurisdictions: list[PolicyJurisdictionOut] = Field(description="本规则集适用的行政区划（不含继承）")
    version: int = Field(description="当前已发布的版本号，0 表示仅有规则集文件")
    drafts: int = Field(description="您可见的草稿数")
    can_edit: bool


class PolicyParameterOut(Schema):
    key: str
    value: Any
    citation: str
    origin: str = Field(description="设置它的规则集")
    version: int = Field(description="设置它的版本号；0 表示来自规则集文件")
    set_in: str = Field(description="出处：文件名（如 zibo.yaml）或“zibo 第 2 版”")


class PolicyRuleSwitchOut(Schema):
    rule_id: str
    enabled: bool
    citation: str
    source: str = Field(description="规则本身的依据（POLICY.md）")
    origin: str
    version: int
    set_in: str


class PolicyRulesetOut(Schema):
    name: str
    title: str
    parent: str | None
    chain: list[str]
    jurisdictions: list[PolicyJurisdictionOut]
    version: int
    parameters: list[PolicyParameterOut]
    rules: list[PolicyRuleSwitchOut] = Field(description="规则集中列出的规则开关；未列出的规则默认启用")
    ignored: list[str] = Field(description="与当前规则集文件不符、已忽略的已发布修改")
    can_edit: bool


class PolicyChangeIn(Schema):
    kind: str = Field(max_length=20, description="parameter（参数）或 rule（规则开关）")
    key: str = Field(
        max_length=200, description="参数名（如 exchange.need_answer_days）或规则编号（如 PRJ-A7）"
    )
    new: Any = Field(description="新值：与原值相同的 JSON 格式；规则开关为 true/false")
    citation: str = Field(max_length=5000, description="修改依据：文件名称、文号及条款（必填）")

    def change(self) -> Change:
        return Change(kind=self.kind, key=self.key, new=self.new, citation=self.citation)


class PolicyChangeOut(Schema):
    kind: str
    key: str
    old: Any
    new: Any
    citation: str


class PolicyDraftIn(Schema):
    changes: list[PolicyChangeIn] = Field(description="各项修改，每项一条依据")
    note: str = Field("", max_length=5000, description="版本说明")


class PolicyDraftUpdateIn(PolicyDraftIn):
    revision: int | None = Field(None, ge=1, description="读取时的草稿修订号；不一致时返回 409")


class PolicyStateIn(Schema):
    expected_state: RulesetState = Field(RulesetState.DRAFT, description="读取时的状态；不一致时返回 409")


class PolicyDiscardIn(PolicyStateIn):
    reason: str = Field("", max_length=5000, description="放弃原因")


class PolicyRulesetVersionOut(Schema):
    id: int
    name: str
    number: int | None = Field(description="发布后的版本号；草稿为空")
    base: int = Field(description="起草（或最后保存）时规则集的版本号")
    state: str
    state_label: str
    changes: list[PolicyChangeOut]
    note: str
    revision: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    published_by: str
    published_at: datetime | None
    discarded_by: str
    discarded_at: datetime | None

    @staticmethod
    def of(v: RulesetVersion) -> PolicyRulesetVersionOut:
        return PolicyRulesetVersionOut(
            id=v.pk, name=v.name, number=v.number, base=v.base, state=v.state, state_label=v.get_state_display(),
            changes=[PolicyChangeOut(**Change.from_dict(d).as_dict()) for d in v.changes], note=v.note,
            revision=v.revision, created_by=v.created_by, created_at=v.created_at, updated_by=v.updated_by,
            updated_at=v.updated_at, published_by=v.published_by, published_at=v.published_at,
            discarded_by=v.discarded_by, discarded_at=v.discarded_at,
        )  # fmt: skip


def set_in(item: Parameter | RuleSwitch) -> str:
    return f"{item.origin}.yaml" if item.version == 0 else f"{item.origin} 第 {item.version} 版"


def _ruleset_out(rs: Ruleset, can_edit: bool) -> PolicyRulesetOut:
    return PolicyRulesetOut(
        name=rs.name, title=rs.title, parent=rs.parent, chain=list(rs.chain),
        jurisdictions=[PolicyJurisdictionOut(code=c, name=n) for c, n in rulesets.jurisdiction_names(rs.jurisdictions)],
        version=rs.version,
        parameters=[
            PolicyParameterOut(key=k, value=p.value, citation=p.citation, origin=p.origin, version=p.version,
                               set_in=set_in(p))
            for k, p in sorted(rs.parameters.items())
        ],
        rules=[
            PolicyRuleSwitchOut(rule_id=k, enabled=s.enabled, citation=s.citation, source=source_of(k),
                                origin=s.origin, version=s.version, set_in=set_in(s))
            for k, s in sorted(rs.rules.items())
        ],
        ignored=list(rs.ignored), can_edit=can_edit,
    )  # fmt: skip


@router.get("/rulesets", response=list[PolicyRulesetSummaryOut], summary="规则集列表（各辖区适用的规则集）")
def list_rulesets(request: HttpRequest) -> list[PolicyRulesetSummaryOut]:
    return [
        PolicyRulesetSummaryOut(
            name=s.name,
            title=s.title,
            parent=s.parent,
            chain=list(s.chain),
            jurisdictions=[PolicyJurisdictionOut(code=c, name=n) for c, n in s.jurisdictions],
            version=s.version,
            drafts=s.drafts,
            can_edit=s.can_edit,
        )
        for s in rulesets.ruleset_list(actor=request_actor(request))
    ]


@router.get("/rulesets/{name}", response=PolicyRulesetOut, summary="规则集详情：各参数的取值、依据和出处")
def get_ruleset(request: HttpRequest, name: NamePath) -> PolicyRulesetOut:
    actor = request_actor(request)
    rs = rulesets.ruleset_get(actor=actor, name=name)
    return _ruleset_out(rs, rulesets.may(actor, rulesets.EDIT, name))


@router.get(
    "/rulesets/{name}/versions", response=list[PolicyRulesetVersionOut], summary="规则集的版本（含草稿）"
)
def list_versions(request: HttpRequest, name: NamePath) -> list[PolicyRulesetVersionOut]:
    return [
        PolicyRulesetVersionOut.of(v) for v in rulesets.version_list(actor=request_actor(request), name=name)
    ]


@router.post(
    "/rulesets/{name}/versions",
    response={201: PolicyRulesetVersionOut},
    summary="起草规则集新版本（每项修改附依据）",
)
def create_version(
    request: HttpRequest, name: NamePath, body: PolicyDraftIn
) -> Status[PolicyRulesetVersionOut]:
    v = rulesets.ruleset_draft(
        actor=request_actor(request), name=name, changes=[c.change() for c in body.changes], note=body.note
    )
    return Status(201, PolicyRulesetVersionOut.of(v))


@router.put("/ruleset-versions/{version_id}", response=PolicyRulesetVersionOut, summary="修改规则集草稿")
def update_version(
    request: HttpRequest, version_id: IdPath, body: PolicyDraftUpdateIn
) -> PolicyRulesetVersionOut:
    v = rulesets.ruleset_draft_update(
        actor=request_actor(request), version_id=version_id, changes=[c.change() for c in body.changes],
        note=body.note, expected_revision=body.revision,
    )  # fmt: skip
    return PolicyRulesetVersionOut.of(v)


@router.post(
    "/ruleset-versions/{version_id}/publish", response=PolicyRulesetVersionOut, summary="发布规则集草稿"
)
def publish_version(request: HttpRequest, version_id: IdPath, body: PolicyStateIn) -> PolicyRulesetVersionOut:
    v = rulesets.ruleset_publish(
        actor=request_actor(request), version_id=version_id, expected_state=body.expected_state
    )
    return PolicyRulesetVersionOut.of(v)


@router.post(
    "/ruleset-versions/{version_id}/discard", response=PolicyRulesetVersionOut, summary="放弃规则集草稿"
)
def discard_version(
    request: HttpRequest, version_id: IdPath, body: PolicyDiscardIn
) -> PolicyRulesetVersionOut:
    v = rulesets.ruleset_discard(
        actor=request_actor(request),
        version_id=version_id,
        expected_state=body.expected_state,
        reason=body.reason,
    )
    return PolicyRulesetVersionOut.of(v)
