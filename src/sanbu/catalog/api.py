"""Catalog JSON API: each endpoint is a schema in, one service or selector, a schema out."""

from __future__ import annotations

import io
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja import Query as QueryParam
from ninja.files import UploadedFile
from pydantic import Field

from sanbu.core.actor import Actor, request_actor
from sanbu.core.api import MAX_ID, IdPath, IdQuery
from sanbu.core.errors import NotFound, PermissionDenied

from . import search, selectors, services
from .models import ElementConflict
from .schemas import (
    CatalogClaimIn,
    CatalogClaimOut,
    CatalogConflictOut,
    CatalogDecisionOut,
    CatalogDuplicateOut,
    CatalogElementIn,
    CatalogElementOut,
    CatalogFieldChangeOut,
    CatalogImportErrorOut,
    CatalogImportReportOut,
    CatalogItemChangeOut,
    CatalogLinkIn,
    CatalogLinkSuggestionOut,
    CatalogMountInterfaceIn,
    CatalogOfflineIn,
    CatalogResolveIn,
    CatalogResourceIn,
    CatalogResourceOut,
    CatalogResourcePage,
    CatalogResourceSummary,
    CatalogResourceUpdateIn,
    CatalogReviewIn,
    CatalogStepOut,
    CatalogVersionDiffOut,
    CatalogVersionIn,
    CatalogVersionOut,
)
from .versions import diff_snapshots

router = Router(tags=["catalog"])


def _actor(request: HttpRequest) -> Actor:
    return request_actor(request)


def _step(result: services.ServiceResult) -> CatalogStepOut:
    return CatalogStepOut(
        resource=CatalogResourceOut.of(result.resource),
        warnings=[CatalogDecisionOut(**d.as_dict()) for d in result.warnings],
    )


class CatalogSearchQuery(Schema):
    q: str = ""
    catalog_class: str = ""
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    share_type: str = Field("", max_length=32)
    jurisdiction: str = Field("", max_length=6)
    state: str = Field("", max_length=16)
    limit: int = Field(20, ge=1, le=1000, description="每页条数（最多返回 100 条）")
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get("/resources", response=CatalogResourcePage, summary="检索目录（中文全文，支持筛选）")
def list_resources(request: HttpRequest, query: Query[CatalogSearchQuery]) -> CatalogResourcePage:
    filters = selectors.ResourceFilters(
        catalog_class=query.catalog_class, department_id=query.department_id, share_type=query.share_type,
        jurisdiction=query.jurisdiction, state=query.state,
    )  # fmt: skip
    limit = max(1, min(query.limit, 100))
    offset = max(0, query.offset)
    page = search.search_resources(
        actor=_actor(request), q=query.q, filters=filters, limit=limit, offset=offset
    )
    return CatalogResourcePage(
        total=page.total,
        total_capped=page.capped,
        limit=limit,
        offset=offset,
        results=[CatalogResourceSummary.of(r) for r in page.results],
    )


@router.post("/resources", response={201: CatalogResourceOut}, summary="注册信息资源")
def register_resource(request: HttpRequest, body: CatalogResourceIn) -> Status[CatalogResourceOut]:
    resource = services.resource_register(
        actor=_actor(request), data=body.to_input(), department_id=body.department_id
    )
    return Status(201, CatalogResourceOut.of(resource))


@router.get("/resources/{resource_id}", response=CatalogResourceOut, summary="信息资源详情")
def get_resource(request: HttpRequest, resource_id: IdPath) -> CatalogResourceOut:
    return CatalogResourceOut.of(selectors.resource_get(actor=_actor(request), resource_id=resource_id))


@router.put("/resources/{resource_id}", response=CatalogResourceOut, summary="修改信息资源")
def update_resource(
    request: HttpRequest, resource_id: IdPath, body: CatalogResourceUpdateIn
) -> CatalogResourceOut:
    resource = services.resource_update(
        actor=_actor(request), resource_id=resource_id, expected_version=body.version, data=body.to_input()
    )
    return CatalogResourceOut.of(resource)


@router.post("/resources/{resource_id}/submit", response=CatalogStepOut, summary="提交审核")
def submit_resource(request: HttpRequest, resource_id: IdPath, body: CatalogVersionIn) -> CatalogStepOut:
    return _step(
        services.resource_submit(
            actor=_actor(request), resource_id=resource_id, expected_version=body.version
        )
    )


@router.post("/resources/{resource_id}/review", response=CatalogStepOut, summary="审核（通过或退回）")
def review_resource(request: HttpRequest, resource_id: IdPath, body: CatalogReviewIn) -> CatalogStepOut:
    return _step(
        services.resource_review(
            actor=_actor(request),
            resource_id=resource_id,
            expected_version=body.version,
            approve=body.approve,
            note=body.note,
        )
    )


@router.post(
    "/resources/{resource_id}/mount/rows", response=CatalogStepOut, summary="挂接数据（上传 xlsx/CSV）"
)
def mount_rows(
    request: HttpRequest, resource_id: IdPath, file: File[UploadedFile], version: Form[int | None] = None
) -> CatalogStepOut:
    return _step(
        services.resource_mount_rows(
            actor=_actor(request),
            resource_id=resource_id,
            expected_version=version,
            file=file,
            filename=file.name or "upload",
        )
    )


@router.post("/resources/{resource_id}/mount/interface", response=CatalogStepOut, summary="挂接服务接口")
def mount_interface(
    request: HttpRequest, resource_id: IdPath, body: CatalogMountInterfaceIn
) -> CatalogStepOut:
    return _step(
        services.resource_mount_interface(
            actor=_actor(request),
            resource_id=resource_id,
            expected_version=body.version,
            url=body.url,
            method=body.method,
            params=[p.dict() for p in body.params],
        )
    )


@router.post("/resources/{resource_id}/publish", response=CatalogStepOut, summary="发布")
def publish_resource(request: HttpRequest, resource_id: IdPath, body: CatalogVersionIn) -> CatalogStepOut:
    return _step(
        services.resource_publish(
            actor=_actor(request), resource_id=resource_id, expected_version=body.version
        )
    )


@router.post("/resources/{resource_id}/offline", response=CatalogStepOut, summary="下线")
def offline_resource(request: HttpRequest, resource_id: IdPath, body: CatalogOfflineIn) -> CatalogStepOut:
    return _step(
        services.resource_offline(
            actor=_actor(request), resource_id=resource_id, expected_version=body.version, reason=body.reason
        )
    )


@router.get("/resources/{resource_id}/versions", response=list[CatalogVersionOut], summary="发布版本列表")
def list_versions(request: HttpRequest, resource_id: IdPath) -> list[CatalogVersionOut]:
    return [
        CatalogVersionOut(
            number=v.number, published_at=v.published_at, published_by=v.published_by, snapshot=v.snapshot
        )
        for v in selectors.resource_versions(actor=_actor(request), resource_id=resource_id)
    ]


@router.get("/resources/{resource_id}/diff", response=CatalogVersionDiffOut, summary="两个发布版本之间的差异")
def diff_versions(
    request: HttpRequest,
    resource_id: IdPath,
    old: Annotated[int, QueryParam(ge=1, le=1_000_000)],
    new: Annotated[int, QueryParam(ge=1, le=1_000_000)],
) -> CatalogVersionDiffOut:
    actor = _actor(request)
    a = selectors.version_get(actor=actor, resource_id=resource_id, number=old)
    b = selectors.version_get(actor=actor, resource_id=resource_id, number=new)
    d = diff_snapshots(a.snapshot, b.snapshot, a.number, b.number)
    return CatalogVersionDiffOut(
        old_number=d.old_number,
        new_number=d.new_number,
        fields=[CatalogFieldChangeOut(**c.__dict__) for c in d.fields],
        items_added=d.items_added,
        items_removed=d.items_removed,
        items_changed=[
            CatalogItemChangeOut(name=n, changes=[CatalogFieldChangeOut(**c.__dict__) for c in cs])
            for n, cs in d.items_changed
        ],
    )


@router.get("/review-queue", response=list[CatalogResourceSummary], summary="待审核资源")
def review_queue(request: HttpRequest) -> list[CatalogResourceSummary]:
    actor = _actor(request)
    if not actor.may("catalog.resource.review"):
        raise PermissionDenied("catalog.review.forbidden", "只有平台管理员可以审核目录。")
    return [CatalogResourceSummary.of(r) for r in selectors.review_queue(actor=actor)[:500]]


# --- elements, 一数一源 -----------------------------------------------------------------------------


def _element_out(e: object) -> CatalogElementOut:
    from .models import DataElement

    assert isinstance(e, DataElement)
    return CatalogElementOut(
        id=e.pk, identifier=e.identifier, name=e.name, synonyms=list(e.synonyms), data_type=e.data_type,
        length=e.length, format=e.format, value_domain=e.value_domain, definition=e.definition,
        authority_id=e.authority_id, authority_name=e.authority.name if e.authority else None, is_base=e.is_base,
        version=e.version,
    )  # fmt: skip


def _conflict_out(c: ElementConflict) -> CatalogConflictOut:
    return CatalogConflictOut(
        id=c.pk, element_id=c.element_id, element_name=c.element.name, incumbent_id=c.incumbent_id,
        incumbent_name=c.incumbent.name, claimant_id=c.claimant_id, claimant_name=c.claimant.name, state=c.state,
        note=c.note, resolution=c.resolution, winner_id=c.winner_id, created_at=c.created_at,
    )  # fmt: skip


@router.get("/elements", response=list[CatalogElementOut], summary="数据元标准")
def list_elements(request: HttpRequest, q: str = "") -> list[CatalogElementOut]:
    return [_element_out(e) for e in selectors.element_list(actor=_actor(request), q=q)]


@router.post("/elements", response=CatalogElementOut, summary="新增或修改数据元（平台管理员）")
def save_element(request: HttpRequest, body: CatalogElementIn) -> CatalogElementOut:
    element = services.element_save(actor=_actor(request), **body.dict())
    return _element_out(element)


@router.get("/elements/{element_id}", response=CatalogElementOut, summary="数据元详情")
def get_element(request: HttpRequest, element_id: IdPath) -> CatalogElementOut:
    return _element_out(selectors.element_get(actor=_actor(request), element_id=element_id))


@router.post("/elements/{element_id}/claim", response=CatalogClaimOut, summary="声明为权威来源（一数一源）")
def claim_element(request: HttpRequest, element_id: IdPath, body: CatalogClaimIn) -> CatalogClaimOut:
    actor = _actor(request)
    conflict = services.element_claim(actor=actor, element_id=element_id, department_id=body.department_id)
    element = selectors.element_get(actor=actor, element_id=element_id)
    return CatalogClaimOut(
        conflict=_conflict_out(conflict) if conflict else None, authority_id=element.authority_id
    )


@router.get("/conflicts", response=list[CatalogConflictOut], summary="一数一源冲突")
def list_conflicts(request: HttpRequest, state: str = "open") -> list[CatalogConflictOut]:
    return [_conflict_out(c) for c in selectors.conflict_list(actor=_actor(request), state=state)[:500]]


@router.post("/conflicts/{conflict_id}/resolve", response=CatalogConflictOut, summary="裁定权威来源")
def resolve_conflict(request: HttpRequest, conflict_id: IdPath, body: CatalogResolveIn) -> CatalogConflictOut:
    conflict = services.conflict_resolve(
        actor=_actor(request),
        conflict_id=conflict_id,
        winner_department_id=body.winner_department_id,
        note=body.note,
    )
    return _conflict_out(conflict)


@router.get("/duplicates", response=list[CatalogDuplicateOut], summary="重复采集提示")
def list_duplicates(request: HttpRequest, department_id: IdQuery = None) -> list[CatalogDuplicateOut]:
    rows = selectors.duplicate_collections(actor=_actor(request), department_id=department_id)
    return [CatalogDuplicateOut(**r.__dict__) for r in rows]


@router.get("/link-suggestions", response=list[CatalogLinkSuggestionOut], summary="待关联数据元的信息项")
def list_link_suggestions(
    request: HttpRequest, department_id: IdQuery = None
) -> list[CatalogLinkSuggestionOut]:
    rows = selectors.link_suggestions(actor=_actor(request), department_id=department_id)
    return [CatalogLinkSuggestionOut(**r.__dict__) for r in rows]


@router.post("/items/{item_id}/link", response=CatalogLinkSuggestionOut, summary="信息项关联数据元")
def link_item(request: HttpRequest, item_id: IdPath, body: CatalogLinkIn) -> CatalogLinkSuggestionOut:
    item = services.item_link_element(actor=_actor(request), item_id=item_id, element_id=body.element_id)
    assert item.element is not None
    return CatalogLinkSuggestionOut(
        item_id=item.pk, item_name=item.name, resource_id=item.resource_id, resource_name=item.resource.name,
        element_id=item.element.pk, element_name=item.element.name, score=100,
    )  # fmt: skip


# --- Excel --------------------------------------------------------------------------------------------


@router.post(
    "/import",
    response={200: CatalogImportReportOut, 400: CatalogImportReportOut},
    summary="导入目录（xlsx 模板）",
)
def import_catalog(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Status[CatalogImportReportOut]:
    from .excel import catalog_import

    actor = _actor(request)
    if not actor.may("catalog.import"):
        raise PermissionDenied("catalog.import.forbidden", "您没有导入目录的权限。")
    report = catalog_import(actor=actor, file=file, dry_run=dry_run)
    out = CatalogImportReportOut(
        ok=not report.errors, dry_run=report.dry_run, created=report.created, updated=report.updated,
        unchanged=report.unchanged, resource_ids=list(report.resource_ids),
        errors=[
            CatalogImportErrorOut(sheet=e.sheet, row=e.row, column=e.column, code=e.code, message=e.message, line=e.line())
            for e in report.errors
        ],
    )  # fmt: skip
    return Status(400 if report.errors else 200, out)


@router.get("/export", summary="导出部门目录（xlsx 模板）", response={200: None})
def export_catalog(request: HttpRequest, department_id: IdQuery = None) -> HttpResponse:
    from sanbu.orgs.models import Department

    from .excel import catalog_export

    actor = _actor(request)
    dept_id = department_id or actor.department_id
    dept = Department.objects.filter(pk=dept_id).first() if dept_id else None
    if dept is None or not actor.can("catalog.resource.view_all", dept.scope()):
        raise NotFound("orgs.department.not_found", "部门不存在或您无权导出其目录。")
    buffer = io.BytesIO()
    catalog_export(actor=actor, department_id=dept.pk, stream=buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''catalog-{dept.uscc}.xlsx"
    return response
