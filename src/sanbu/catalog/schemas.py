"""API schemas of the catalog, named uniquely (``Catalog…``) so the OpenAPI document stays unambiguous."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from .inputs import ItemInput, ResourceInput
from .models import Masking, Resource, ResourceItem, Secrecy


class CatalogItemIn(Schema):
    name: str
    data_type: str = Field(description="C/N/Y/D/T/L/M/G/B/I/F")
    length: int | None = None
    element: str = Field("", description="数据元名称、同义名或标识符")
    is_key: bool = False
    is_authoritative: bool = False
    share_type: str = Field("", description="留空同资源：unconditional/conditional/none")
    share_condition: str = ""
    masking: str = Masking.NONE


class CatalogResourceIn(Schema):
    name: str
    catalog_class: str = Field(description="1 基础 / 2 主题 / 3 部门")
    subclass: str
    summary: str
    format: str
    share_type: str
    share_method: str
    update_cycle: str
    code: str = ""
    share_condition: str = ""
    no_share_basis: str = ""
    open_to_public: bool = False
    open_condition: str = ""
    release_date: date | None = None
    secrecy: str = Secrecy.NON_SECRET
    data_grade: str = "general"
    source_system: str = ""
    related_codes: str = ""
    department_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="提供方部门；留空为当前用户所在部门"
    )
    items: list[CatalogItemIn] = []

    def to_input(self) -> ResourceInput:
        data = self.dict(exclude={"items", "department_id", "version"})
        return ResourceInput(**data, items=[ItemInput(**i.dict()) for i in self.items])


class CatalogResourceUpdateIn(CatalogResourceIn):
    version: int = Field(description="当前修订号（乐观锁）")


class CatalogVersionIn(Schema):
    version: int = Field(description="当前修订号（乐观锁）")


class CatalogReviewIn(CatalogVersionIn):
    approve: bool
    note: str = ""


class CatalogOfflineIn(CatalogVersionIn):
    reason: str


class CatalogInterfaceParam(Schema):
    name: str
    required: bool = False
    description: str = ""


class CatalogMountInterfaceIn(CatalogVersionIn):
    url: str
    method: str = "GET"
    params: list[CatalogInterfaceParam] = []


class CatalogItemOut(Schema):
    id: int
    position: int
    name: str
    data_type: str
    length: int | None
    is_key: bool
    is_authoritative: bool
    share_type: str
    effective_share_type: str
    share_condition: str
    masking: str
    element_id: int | None
    element_name: str | None

    @staticmethod
    def of(item: ResourceItem, resource: Resource) -> CatalogItemOut:
        return CatalogItemOut(
            id=item.pk, position=item.position, name=item.name, data_type=item.data_type, length=item.length,
            is_key=item.is_key, is_authoritative=item.is_authoritative, share_type=item.share_type,
            effective_share_type=item.share_type or resource.share_type, share_condition=item.share_condition,
            masking=item.masking, element_id=item.element_id, element_name=item.element.name if item.element else None,
        )  # fmt: skip


class CatalogResourceSummary(Schema):
    id: int
    code: str
    name: str
    catalog_class: str
    subclass: str
    department_id: int
    department_name: str
    jurisdiction: str
    share_type: str
    state: str
    state_label: str
    version: int
    is_shared: bool
    updated_at: datetime

    @staticmethod
    def of(r: Resource) -> CatalogResourceSummary:
        return CatalogResourceSummary(
            id=r.pk, code=r.code, name=r.name, catalog_class=r.catalog_class, subclass=r.subclass,
            department_id=r.department_id, department_name=r.department.name, jurisdiction=r.jurisdiction_id,
            share_type=r.share_type, state=r.state, state_label=str(r.get_state_display()), version=r.version,
            is_shared=r.is_shared, updated_at=r.updated_at,
        )  # fmt: skip


class CatalogResourceOut(CatalogResourceSummary):
    summary: str
    format: str
    share_condition: str
    no_share_basis: str
    share_method: str
    open_to_public: bool
    open_condition: str
    update_cycle: str
    release_date: date | None
    secrecy: str
    data_grade: str
    source_system: str
    related_codes: str
    mount_kind: str
    review_note: str
    published_version: int
    published_at: datetime | None
    items: list[CatalogItemOut]

    @staticmethod
    def of(r: Resource) -> CatalogResourceOut:
        base = CatalogResourceSummary.of(r).dict()
        return CatalogResourceOut(
            **base, summary=r.summary, format=r.format, share_condition=r.share_condition,
            no_share_basis=r.no_share_basis, share_method=r.share_method, open_to_public=r.open_to_public,
            open_condition=r.open_condition, update_cycle=r.update_cycle, release_date=r.release_date,
            secrecy=r.secrecy, data_grade=r.data_grade, source_system=r.source_system, related_codes=r.related_codes,
            mount_kind=r.mount_kind, review_note=r.review_note, published_version=r.published_version,
            published_at=r.published_at,
            items=[CatalogItemOut.of(i, r) for i in r.items.select_related("element").order_by("position", "id")],
        )  # fmt: skip


class CatalogDecisionOut(Schema):
    rule_id: str
    outcome: str
    reason: str
    fact: dict[str, Any] | None
    remedy: str
    source: str


class CatalogStepOut(Schema):
    resource: CatalogResourceOut
    warnings: list[CatalogDecisionOut]


class CatalogResourcePage(Schema):
    total: int
    total_capped: bool = Field(False, description="为真时表示匹配超过 total 条，计数已在此截止")
    limit: int
    offset: int
    results: list[CatalogResourceSummary]


class CatalogVersionOut(Schema):
    number: int
    published_at: datetime
    published_by: str
    snapshot: dict[str, Any]


class CatalogFieldChangeOut(Schema):
    field: str
    label: str
    old: Any
    new: Any


class CatalogItemChangeOut(Schema):
    name: str
    changes: list[CatalogFieldChangeOut]


class CatalogVersionDiffOut(Schema):
    old_number: int
    new_number: int
    fields: list[CatalogFieldChangeOut]
    items_added: list[str]
    items_removed: list[str]
    items_changed: list[CatalogItemChangeOut]


class CatalogElementOut(Schema):
    id: int
    identifier: str
    name: str
    synonyms: list[str]
    data_type: str
    length: str
    format: str
    value_domain: str
    definition: str
    authority_id: int | None
    authority_name: str | None
    is_base: bool
    version: int


class CatalogElementIn(Schema):
    identifier: str
    name: str
    data_type: str
    synonyms: list[str] = []
    length: str = ""
    format: str = ""
    value_domain: str = ""
    definition: str = ""


class CatalogClaimIn(Schema):
    department_id: int | None = Field(None, ge=1, le=2**63 - 1)


class CatalogConflictOut(Schema):
    id: int
    element_id: int
    element_name: str
    incumbent_id: int
    incumbent_name: str
    claimant_id: int
    claimant_name: str
    state: str
    note: str
    resolution: str
    winner_id: int | None
    created_at: datetime


class CatalogClaimOut(Schema):
    conflict: CatalogConflictOut | None
    authority_id: int | None


class CatalogResolveIn(Schema):
    winner_department_id: int = Field(ge=1, le=2**63 - 1)
    note: str


class CatalogDuplicateOut(Schema):
    item_id: int
    item_name: str
    resource_id: int
    resource_name: str
    department_name: str
    element_id: int
    element_name: str
    authority_name: str
    suggested_resource_id: int | None
    suggested_resource_name: str


class CatalogLinkSuggestionOut(Schema):
    item_id: int
    item_name: str
    resource_id: int
    resource_name: str
    element_id: int
    element_name: str
    score: int


class CatalogLinkIn(Schema):
    element_id: int = Field(ge=1, le=2**63 - 1)


class CatalogImportErrorOut(Schema):
    sheet: str
    row: int
    column: str
    code: str
    message: str
    line: str


class CatalogImportReportOut(Schema):
    ok: bool
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    resource_ids: list[int]
    errors: list[CatalogImportErrorOut]
