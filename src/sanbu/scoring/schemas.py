"""API schemas of scoring, named ``Scoring…`` so the OpenAPI document stays unambiguous. The outputs read
the selectors' dataclasses by attribute."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from sanbu.core.api import MAX_ID

from .models import Source

MONTH = r"^\d{4}-\d{2}$"


class ScoringPlaceQuery(Schema):
    jurisdiction: str = Field("", max_length=12, description="行政区划代码（GB/T 2260），默认为本人所在辖区")


class ScoringMonthQuery(ScoringPlaceQuery):
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="月份 YYYY-MM，默认为最近一次快照")


class ScoringTreeQuery(ScoringMonthQuery):
    tree: str = Field("", max_length=64, description="指标体系，默认为规则集的 scoring.tree")


class ScoringDepartmentQuery(Schema):
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="月份 YYYY-MM，默认为最近一次快照")
    tree: str = Field("", max_length=64, description="指标体系，默认为规则集的 scoring.tree")


class ScoringRowsQuery(Schema):
    indicator: str = Field(max_length=64, description="末级指标的 key，如 catalog_published")
    month: str = Field(
        "", pattern=r"^(\d{4}-\d{2})?$", description="按月计的事实（申请、异议、需求）看哪个月，默认本月"
    )


class ScoringSnapshotOut(Schema):
    id: int
    jurisdiction: str
    month: str
    tree: str
    tree_title: str
    departments: int
    digest: str
    built_at: datetime
    built_by: str


class ScoringTrendPointOut(Schema):
    month: str
    score: float | None


class ScoringRankOut(Schema):
    rank: int | None
    department_id: int
    name: str
    score: float | None
    previous: float | None = Field(description="上月得分")
    change: float | None = Field(description="较上月变化")


class ScoringIndicatorAverageOut(Schema):
    key: str
    name: str
    weight: float
    score: float | None = Field(description="全辖区在该指标上的得分")
    average: float | None = Field(description="各部门得分的平均值")
    departments: int


class ScoringOverviewOut(Schema):
    jurisdiction: str
    jurisdiction_name: str
    tree: str
    tree_title: str
    month: str | None = Field(description="快照月份；尚无快照时为 null")
    months: list[str]
    score: float | None
    previous: float | None
    trend: list[ScoringTrendPointOut]
    ranking: list[ScoringRankOut]
    indicators: list[ScoringIndicatorAverageOut]
    built_at: datetime | None
    digest: str


class ScoringOverdueOwnerOut(Schema):
    department_id: int
    name: str
    total: int
    by_kind: dict[str, int]


class ScoringKindOut(Schema):
    kind: str
    label: str


class ScoringOverdueOut(Schema):
    jurisdiction: str
    month: str | None
    kinds: list[ScoringKindOut]
    owners: list[ScoringOverdueOwnerOut]
    total: int


class ScoringProjectRefOut(Schema):
    id: int
    name: str
    unit: str
    link: str


class ScoringBlockedRuleOut(Schema):
    rule_id: str
    gate: str
    gate_title: str
    reason: str
    remedy: str
    count: int
    examples: list[ScoringProjectRefOut]


class ScoringBlockedOut(Schema):
    jurisdiction: str
    day: date
    checked: int
    blocked: int
    rules: list[ScoringBlockedRuleOut]


class ScoringMoneyItemOut(Schema):
    key: str
    label: str
    amount: int = Field(description="金额（元）")
    count: int
    note: str


class ScoringMoneyOut(Schema):
    jurisdiction: str
    day: date
    year: int
    items: list[ScoringMoneyItemOut]
    total: int


class ScoringFactOut(Schema):
    key: str
    label: str
    value: float | None
    drill: str


class ScoringIndicatorOut(Schema):
    key: str
    name: str
    depth: int
    leaf: bool
    score: float | None
    weight: float
    share: float
    formula: str
    citation: str
    remedy: str
    facts: list[ScoringFactOut]
    drill: bool


class ScoringNextStepOut(Schema):
    key: str
    name: str
    score: float | None
    remedy: str


class ScoringExternalOut(Schema):
    source: str
    label: str
    score: float
    basis: str
    entered_by: str


class ScoringDepartmentOut(Schema):
    department_id: int
    name: str
    jurisdiction: str
    tree: str
    tree_title: str
    month: str | None
    months: list[str]
    score: float | None
    rank: int | None
    ranked: int
    previous: float | None
    trend: list[ScoringTrendPointOut]
    indicators: list[ScoringIndicatorOut]
    next_steps: list[ScoringNextStepOut]
    external: list[ScoringExternalOut]


class ScoringRowOut(Schema):
    text: str
    detail: str
    link: str


class ScoringRowGroupOut(Schema):
    kind: str
    title: str
    rows: list[ScoringRowOut]


class ScoringRowsOut(Schema):
    department_id: int
    department: str
    indicator: str
    name: str
    month: str
    formula: str
    groups: list[ScoringRowGroupOut]


class ScoringSnapshotBuildIn(Schema):
    jurisdiction: str = Field(max_length=12, description="行政区划代码")
    month: str = Field(pattern=MONTH, description="月份 YYYY-MM")
    tree: str = Field("", max_length=64, description="指标体系，默认为规则集的 scoring.tree")


class ScoringExternalIn(Schema):
    department_id: int = Field(ge=1, le=MAX_ID)
    month: str = Field(pattern=MONTH, description="月份 YYYY-MM")
    source: Source = Field(description="third_party 第三方评估 / public_feedback 公众评价")
    score: float = Field(ge=0, le=100, description="得分 0–100")
    basis: str = Field(max_length=500, description="依据：评估报告或好差评汇总的名称和文号")


class ScoringExternalEnteredOut(Schema):
    department_id: int
    month: str
    source: str
    score: float
    basis: str
    entered_by: str
