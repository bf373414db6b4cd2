"""Scoring JSON API (``/api/scoring/…``): the leaders' overview, ranking, trend, overdue tasks, projects
blocked, money held back, a department's score and the rows behind an indicator; building a month's
snapshot and entering third-party or public scores (the authority). Errors are the platform's stable codes
(``orgs.jurisdiction.not_found``, ``orgs.department.not_found``, ``scoring.snapshot.not_found``,
``scoring.indicator.not_found``, ``scoring.month.invalid``, ``scoring.month.future``, ``validation_failed``).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from sanbu.core.actor import Actor, request_actor
from sanbu.core.api import IdPath

from . import selectors, services
from .schemas import (
    ScoringBlockedOut,
    ScoringDepartmentOut,
    ScoringDepartmentQuery,
    ScoringExternalEnteredOut,
    ScoringExternalIn,
    ScoringKindOut,
    ScoringMoneyOut,
    ScoringMonthQuery,
    ScoringOverdueOut,
    ScoringOverdueOwnerOut,
    ScoringOverviewOut,
    ScoringPlaceQuery,
    ScoringRankOut,
    ScoringRowsOut,
    ScoringRowsQuery,
    ScoringSnapshotBuildIn,
    ScoringSnapshotOut,
    ScoringTreeQuery,
    ScoringTrendPointOut,
)

router = Router(tags=["scoring"])


def _place(actor: Actor, code: str) -> str:
    return code.strip() or selectors.default_jurisdiction(actor)


def _overview(request: HttpRequest, query: ScoringTreeQuery) -> selectors.Overview:
    actor = request_actor(request)
    return selectors.overview(
        actor=actor, jurisdiction=_place(actor, query.jurisdiction), month=query.month, tree=query.tree
    )


@router.get("/snapshots", response=list[ScoringSnapshotOut], summary="已生成的评分快照（月份）")
def list_snapshots(request: HttpRequest, query: Query[ScoringTreeQuery]) -> list[ScoringSnapshotOut]:
    actor = request_actor(request)
    rows = selectors.snapshots(actor=actor, jurisdiction=_place(actor, query.jurisdiction), tree=query.tree)
    return [ScoringSnapshotOut.model_validate(r) for r in rows]


@router.post("/snapshots", response={201: ScoringSnapshotOut}, summary="生成（重新生成）某月评分快照")
def build_snapshot(request: HttpRequest, body: ScoringSnapshotBuildIn) -> Status[ScoringSnapshotOut]:
    actor = request_actor(request)
    snap = services.snapshot_build(
        actor=actor, jurisdiction=body.jurisdiction, month=body.month, tree=body.tree
    )
    info = next(
        s for s in selectors.snapshots(actor=actor, jurisdiction=snap.jurisdiction_id) if s.id == snap.pk
    )
    return Status(201, ScoringSnapshotOut.model_validate(info))


@router.get("/overview", response=ScoringOverviewOut, summary="辖区得分、趋势、部门排名和一级指标")
def get_overview(request: HttpRequest, query: Query[ScoringTreeQuery]) -> ScoringOverviewOut:
    return ScoringOverviewOut.model_validate(_overview(request, query))


@router.get("/ranking", response=list[ScoringRankOut], summary="部门排名（含较上月变化）")
def get_ranking(request: HttpRequest, query: Query[ScoringTreeQuery]) -> list[ScoringRankOut]:
    return [ScoringRankOut.model_validate(r) for r in _overview(request, query).ranking]


@router.get("/trend", response=list[ScoringTrendPointOut], summary="辖区得分趋势（按月）")
def get_trend(request: HttpRequest, query: Query[ScoringTreeQuery]) -> list[ScoringTrendPointOut]:
    return [ScoringTrendPointOut.model_validate(p) for p in _overview(request, query).trend]


@router.get("/overdue", response=ScoringOverdueOut, summary="逾期任务（按责任部门、任务类型）")
def get_overdue(request: HttpRequest, query: Query[ScoringMonthQuery]) -> ScoringOverdueOut:
    actor = request_actor(request)
    out = selectors.overdue(actor=actor, jurisdiction=_place(actor, query.jurisdiction), month=query.month)
    return ScoringOverdueOut(
        jurisdiction=out.jurisdiction, month=out.month, total=out.total,
        kinds=[ScoringKindOut(kind=k, label=label) for k, label in out.kinds],
        owners=[ScoringOverdueOwnerOut.model_validate(o) for o in out.owners],
    )  # fmt: skip


@router.get("/blocked", response=ScoringBlockedOut, summary="当前被关口规则阻止的项目（按规则）")
def get_blocked(request: HttpRequest, query: Query[ScoringPlaceQuery]) -> ScoringBlockedOut:
    actor = request_actor(request)
    return ScoringBlockedOut.model_validate(
        selectors.blocked_projects(actor=actor, jurisdiction=_place(actor, query.jurisdiction))
    )


@router.get("/money", response=ScoringMoneyOut, summary="被关口扣住的资金")
def get_money(request: HttpRequest, query: Query[ScoringPlaceQuery]) -> ScoringMoneyOut:
    actor = request_actor(request)
    return ScoringMoneyOut.model_validate(
        selectors.money_held(actor=actor, jurisdiction=_place(actor, query.jurisdiction))
    )


@router.get(
    "/departments/{department_id}", response=ScoringDepartmentOut, summary="部门得分、排名、趋势和各项指标"
)
def get_department(
    request: HttpRequest, department_id: IdPath, query: Query[ScoringDepartmentQuery]
) -> ScoringDepartmentOut:
    return ScoringDepartmentOut.model_validate(
        selectors.department(
            actor=request_actor(request), department_id=department_id, month=query.month, tree=query.tree
        )
    )


@router.get("/departments/{department_id}/rows", response=ScoringRowsOut, summary="指标背后的数据行（下钻）")
def get_rows(request: HttpRequest, department_id: IdPath, query: Query[ScoringRowsQuery]) -> ScoringRowsOut:
    return ScoringRowsOut.model_validate(
        selectors.indicator_rows(
            actor=request_actor(request),
            department_id=department_id,
            indicator=query.indicator,
            month=query.month,
        )
    )


@router.post(
    "/external-scores", response={201: ScoringExternalEnteredOut}, summary="录入第三方评估或公众评价得分"
)
def enter_external(request: HttpRequest, body: ScoringExternalIn) -> Status[ScoringExternalEnteredOut]:
    row = services.external_score_enter(
        actor=request_actor(request), department_id=body.department_id, month=body.month, source=body.source,
        score=body.score, basis=body.basis,
    )  # fmt: skip
    return Status(201, ScoringExternalEnteredOut(
        department_id=row.department_id, month=f"{row.month:%Y-%m}", source=row.source, score=float(row.score),
        basis=row.basis, entered_by=row.entered_by,
    ))  # fmt: skip
