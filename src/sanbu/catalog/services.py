"""Catalog services: the only code that writes catalog rows.

Each is keyword-only, takes the actor, runs in one transaction, checks permission inside (forbidden
looks like missing), locks and compares the resource's revision for workflow steps, and writes its
change record in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from sanbu.core import audit
from sanbu.core.actor import Actor, Scope
from sanbu.core.errors import Conflict, FieldError, NotFound, ValidationFailed, raise_if_blocked, text_problem
from sanbu.orgs.models import Department
from sanbu.policy.decisions import Decision
from sanbu.policy.rules import catalog as rules

from . import codes, facts, search
from .elements import ElementIndex
from .inputs import ItemInput, ResourceInput, validate_resource
from .models import (
    CodeSequence,
    ConflictState,
    DataElement,
    ElementConflict,
    MountKind,
    Resource,
    ResourceItem,
    ResourceMount,
    ResourceState,
    ResourceVersion,
)

NOT_FOUND = "catalog.resource.not_found"
EDITABLE_STATES = {ResourceState.DRAFT, ResourceState.REJECTED, ResourceState.APPROVED,
                   ResourceState.MOUNTED, ResourceState.PUBLISHED, ResourceState.OFFLINE}  # fmt: skip
RESOURCE_FIELDS = [
    "name", "code", "catalog_class", "subclass", "summary", "format", "share_type", "share_condition",
    "no_share_basis", "share_method", "open_to_public", "open_condition", "update_cycle", "release_date",
    "secrecy", "data_grade", "source_system", "related_codes",
]  # fmt: skip
ITEM_FIELDS = [
    "name",
    "data_type",
    "length",
    "is_key",
    "is_authoritative",
    "share_type",
    "share_condition",
    "masking",
]


@dataclass
class ServiceResult:
    """What a workflow step did, with the rule warnings the user should see."""

    resource: Resource
    warnings: list[Decision] = field(default_factory=list)


# --- shared helpers -------------------------------------------------------------------------------


def _locked_resource(actor: Actor, resource_id: int, action: str) -> Resource:
    resource = Resource.objects.select_for_update().filter(pk=resource_id).first()
    if resource is None or not actor.can(action, resource.scope()):
        raise NotFound(NOT_FOUND, "信息资源不存在或您无权进行此操作。", resource_id=resource_id)
    return resource


def _check_revision(resource: Resource, expected_version: int | None) -> None:
    if expected_version is not None and resource.version != expected_version:
        raise Conflict(
            "catalog.resource.changed",
            f"该资源已被他人修改（当前修订号 {resource.version}，您提交的是 {expected_version}），请刷新后重试。",
            current=resource.version,
        )


def _require_state(resource: Resource, allowed: Iterable[str], doing: str) -> None:
    allowed = list(allowed)
    if resource.state not in allowed:
        names = "、".join(str(ResourceState(s).label) for s in allowed)
        raise Conflict(
            "catalog.resource.state",
            f"资源当前状态为“{resource.get_state_display()}”，不能{doing}；只有“{names}”状态可以{doing}。",
            state=resource.state,
        )


def resource_snapshot(resource: Resource) -> dict[str, Any]:
    """Metadata and items as plain JSON: used for change records and frozen versions."""
    data = audit.snapshot(resource, RESOURCE_FIELDS)
    data["department"] = resource.department.uscc
    data["department_name"] = resource.department.name
    data["items"] = [
        {**audit.snapshot(i, ITEM_FIELDS), "element": i.element.identifier if i.element else None}
        for i in resource.items.select_related("element").order_by("position", "id")
    ]
    return data


def next_code(prefix: str) -> str:
    """Allocate the next 顺序码 under a 分类码 (row-locked so concurrent registrations never collide)."""
    seq, _ = CodeSequence.objects.select_for_update().get_or_create(prefix=prefix)
    while True:
        seq.last += 1
        code = codes.compose(prefix, seq.last)
        if not Resource.objects.filter(code=code).exists():
            seq.save(update_fields=["last"])
            return code


def _check_text(value: str, limit: int, field: str, label: str) -> None:
    problem = text_problem(value, limit, field, label)
    if problem:
        raise ValidationFailed(f"catalog.{field}.invalid", problem.message, errors=[problem])


def _raise_field_errors(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(
            "catalog.resource.invalid", "信息资源填写有误，请按提示逐项修改。", errors=errors
        )


def resolve_items(
    items: list[ItemInput], index: ElementIndex
) -> tuple[list[DataElement | None], list[FieldError]]:
    resolved: list[DataElement | None] = []
    errors: list[FieldError] = []
    for idx, item in enumerate(items, start=1):
        if not item.element.strip():
            resolved.append(None)
            continue
        element = index.find(item.element)
        if element is None:
            errors.append(
                FieldError(
                    f"items[{idx}].element",
                    "unknown_element",
                    f"引用数据元“{item.element}”不在数据元标准中：请填写标准中的名称或标识符（如 公民身份号码、DE00001），或留空。",
                )
            )
        resolved.append(element)
    return resolved, errors


def write_items(resource: Resource, items: list[ItemInput], elements: list[DataElement | None]) -> None:
    """Make the resource's items these, matched by name so unchanged items keep their ids."""
    existing = {i.name: i for i in resource.items.all()}
    wanted = [
        ResourceItem(
            resource=resource,
            position=pos,
            name=i.name.strip(),
            element=el,
            data_type=i.data_type,
            length=i.length,
            is_key=i.is_key,
            is_authoritative=i.is_authoritative,
            share_type=i.share_type,
            share_condition=i.share_condition,
            masking=i.masking,
        )
        for pos, (i, el) in enumerate(zip(items, elements, strict=True), start=1)
    ]
    names = {w.name for w in wanted}
    resource.items.exclude(name__in=names).delete()
    for w in wanted:
        if w.name in existing:
            w.pk = existing[w.name].pk
    ResourceItem.objects.bulk_update([w for w in wanted if w.pk], ["position", "element", *ITEM_FIELDS[1:]])
    ResourceItem.objects.bulk_create([w for w in wanted if not w.pk])


def claim_authority(*, actor: Actor, department: Department, element: DataElement) -> ElementConflict | None:
    """一数一源 (CAT-2): become the element's source, or open a conflict with the current source."""
    if element.authority_id is None:
        before = audit.snapshot(element, ["authority_id"])
        element.authority = department
        element.save(update_fields=["authority"])
        audit.record(actor=actor, action="catalog.element.authority", obj=element, before=before)
        return None
    if element.authority_id == department.pk:
        return None
    existing = ElementConflict.objects.filter(
        element=element, claimant=department, state=ConflictState.OPEN
    ).first()
    if existing:
        return existing
    conflict = ElementConflict.objects.create(
        element=element,
        incumbent_id=element.authority_id,
        claimant=department,
        note=f"{department.name}声明为“{element.name}”的权威来源，与现有权威来源冲突（CAT-2 一数一源）。",
    )
    audit.record(actor=actor, action="catalog.conflict.open", obj=conflict)
    return conflict


def item_shape(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What mounted rows were validated against: item names, types and lengths."""
    return [(i["name"], i["data_type"], i["length"]) for i in items]


def unmount_rows(resource_ids: list[int]) -> None:
    """Rows checked against items that have since changed no longer mount the resource: it must be
    mounted again (its rows are dropped once the change commits). Interface mounts stay."""
    mounted = list(
        Resource.objects.filter(pk__in=resource_ids, mount_kind=MountKind.ROWS).values_list("pk", flat=True)
    )
    if not mounted:
        return
    Resource.objects.filter(pk__in=mounted).update(mount_kind=MountKind.NONE)
    ResourceMount.objects.filter(resource_id__in=mounted, is_current=True).update(is_current=False)

    def drop() -> None:
        for pk in mounted:
            _drop_rows(pk)

    transaction.on_commit(drop)


# --- registration and editing ---------------------------------------------------------------------


def _department_for(actor: Actor, department_id: int | None, action: str) -> Department:
    dept_id = department_id or actor.department_id
    dept = Department.objects.select_related("jurisdiction").filter(pk=dept_id).first() if dept_id else None
    if dept is None or not actor.can(action, dept.scope()):
        raise NotFound("orgs.department.not_found", "部门不存在或您无权为该部门登记资源。")
    return dept


def _apply_input(resource: Resource, data: ResourceInput) -> None:
    for name in RESOURCE_FIELDS:
        if name == "code":
            continue
        value = getattr(data, name)
        setattr(resource, name, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def resource_register(
    *, actor: Actor, data: ResourceInput, department_id: int | None = None, index: ElementIndex | None = None
) -> Resource:
    """注册: create a resource (state 已注册) with its items; generate its code when blank."""
    dept = _department_for(actor, department_id, "catalog.resource.register")
    errors = validate_resource(data)
    index = index or ElementIndex()
    elements, element_errors = resolve_items(data.items, index)
    errors += element_errors
    if Resource.objects.filter(department=dept, name=data.name.strip()).exists():
        errors.append(
            FieldError("name", "duplicate", f"{dept.name}已登记名为“{data.name}”的资源，请更换名称。")
        )
    code = data.code.strip()
    if code and Resource.objects.filter(code=code).exists():
        errors.append(FieldError("code", "duplicate", f"信息资源代码 {code} 已被使用，请留空由平台生成。"))
    _raise_field_errors(errors)
    resource = Resource(department=dept, jurisdiction_id=dept.jurisdiction_id)
    _apply_input(resource, data)
    resource.code = code or next_code(
        codes.prefix_for(data.catalog_class, data.subclass, dept.jurisdiction_id)
    )
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError as exc:
        raise Conflict("catalog.resource.duplicate", "同名资源或相同代码已存在，请刷新后重试。") from exc
    write_items(resource, data.items, elements)
    for item, element in zip(data.items, elements, strict=True):
        if item.is_authoritative and element is not None:
            claim_authority(actor=actor, department=dept, element=element)
    audit.record(
        actor=actor, action="catalog.resource.register", obj=resource, after=resource_snapshot(resource)
    )
    search.index_resources([resource.pk])
    return resource


@transaction.atomic
def resource_update(
    *, actor: Actor, resource_id: int, expected_version: int | None, data: ResourceInput,
    index: ElementIndex | None = None,
) -> Resource:  # fmt: skip
    """Edit metadata and items. A change to a reviewed resource sends it back to 已注册 for review again;
    the published versions stay frozen and visible."""
    resource = _locked_resource(actor, resource_id, "catalog.resource.edit")
    _check_revision(resource, expected_version)
    _require_state(resource, EDITABLE_STATES, "修改")
    errors = validate_resource(data)
    index = index or ElementIndex()
    elements, element_errors = resolve_items(data.items, index)
    errors += element_errors
    if data.code.strip() and data.code.strip() != resource.code:
        errors.append(
            FieldError("code", "immutable", f"信息资源代码登记后不可更改（当前为 {resource.code}）。")
        )
    clash = Resource.objects.filter(department_id=resource.department_id, name=data.name.strip())
    if clash.exclude(pk=resource.pk).exists():
        errors.append(FieldError("name", "duplicate", f"已存在名为“{data.name}”的资源。"))
    _raise_field_errors(errors)
    before = resource_snapshot(resource)
    _apply_input(resource, data)
    write_items(resource, data.items, elements)
    after = resource_snapshot(resource)
    if after == before:
        return resource
    if resource.state != ResourceState.DRAFT:
        resource.state = ResourceState.DRAFT
    if item_shape(before["items"]) != item_shape(after["items"]):
        unmount_rows([resource.pk])
        resource.refresh_from_db(fields=["mount_kind"])
    resource.version += 1
    resource.save()
    for item, element in zip(data.items, elements, strict=True):
        if item.is_authoritative and element is not None:
            claim_authority(actor=actor, department=resource.department, element=element)
    audit.record(actor=actor, action="catalog.resource.update", obj=resource, before=before, after=after)
    search.index_resources([resource.pk])
    return resource


# --- workflow: submit → review → mount → publish → offline -----------------------------------------


def _transition(resource: Resource, state: str, **changes: Any) -> dict[str, Any]:
    before = audit.snapshot(resource, ["state", "version", "review_note", "mount_kind", "published_version"])
    resource.state = state
    for k, v in changes.items():
        setattr(resource, k, v)
    resource.version = F("version") + 1
    resource.save()
    resource.refresh_from_db()
    return before


@transaction.atomic
def resource_submit(*, actor: Actor, resource_id: int, expected_version: int | None) -> ServiceResult:
    resource = _locked_resource(actor, resource_id, "catalog.resource.submit")
    _check_revision(resource, expected_version)
    _require_state(resource, [ResourceState.DRAFT, ResourceState.REJECTED], "提交审核")
    warnings = raise_if_blocked(rules.can_submit(facts.resource_facts(resource)))
    before = _transition(resource, ResourceState.SUBMITTED)
    audit.record(actor=actor, action="catalog.resource.submit", obj=resource, before=before,
                 after=audit.snapshot(resource, ["state", "version"]))  # fmt: skip
    return ServiceResult(resource, warnings)


@transaction.atomic
def resource_review(
    *, actor: Actor, resource_id: int, expected_version: int | None, approve: bool, note: str = ""
) -> ServiceResult:
    """审核 by the authority: approve, or send back with the reason."""
    resource = _locked_resource(actor, resource_id, "catalog.resource.review")
    _check_revision(resource, expected_version)
    _require_state(resource, [ResourceState.SUBMITTED], "审核")
    _check_text(note, 500, "note", "审核意见")
    note = note.strip()
    if not approve and not note:
        raise ValidationFailed(
            "catalog.review.reason_required", "退回时必须填写退回理由，告诉提供方需要修改什么。",
            errors=[FieldError("note", "required", "请填写退回理由。")],
        )  # fmt: skip
    warnings: list[Decision] = []
    if approve:
        warnings = raise_if_blocked(rules.can_submit(facts.resource_facts(resource)))
    target = ResourceState.APPROVED if approve else ResourceState.REJECTED
    if approve and resource.mount_kind != MountKind.NONE:
        target = ResourceState.MOUNTED
    before = _transition(resource, target, review_note=note)
    action = "catalog.resource.approve" if approve else "catalog.resource.reject"
    audit.record(actor=actor, action=action, obj=resource, before=before,
                 after=audit.snapshot(resource, ["state", "version", "review_note"]))  # fmt: skip
    return ServiceResult(resource, warnings)


@transaction.atomic
def resource_mount_interface(
    *, actor: Actor, resource_id: int, expected_version: int | None, url: str, method: str = "GET",
    params: list[dict[str, str]] | None = None,
) -> ServiceResult:  # fmt: skip
    """挂接 an interface: URL, method and parameters of the provider's service."""
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.core.validators import URLValidator

    resource = _locked_resource(actor, resource_id, "catalog.resource.mount")
    _check_revision(resource, expected_version)
    _require_state(resource, [ResourceState.APPROVED, ResourceState.MOUNTED, ResourceState.PUBLISHED], "挂接")
    errors = []
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        errors.append(
            FieldError(
                "url",
                "invalid",
                "接口地址应为完整的 http(s) 地址，如 https://data.example.gov.cn/api/persons。",
            )
        )
    method = method.upper()
    if method not in {"GET", "POST"}:
        errors.append(FieldError("method", "invalid", "请求方式应为 GET 或 POST。"))
    params = params or []
    for i, p in enumerate(params, start=1):
        if not str(p.get("name", "")).strip():
            errors.append(FieldError(f"params[{i}].name", "required", "参数名不能为空。"))
    if errors:
        raise ValidationFailed("catalog.mount.invalid", "接口登记信息有误。", errors=errors)
    ResourceMount.objects.filter(resource=resource, is_current=True).update(is_current=False)
    rid = resource.pk
    transaction.on_commit(lambda: _drop_rows(rid))
    mount = ResourceMount.objects.create(
        resource=resource, kind=MountKind.INTERFACE, interface_url=url, interface_method=method,
        interface_params=params, created_by=actor.username,
    )  # fmt: skip
    target = ResourceState.PUBLISHED if resource.state == ResourceState.PUBLISHED else ResourceState.MOUNTED
    before = _transition(resource, target, mount_kind=MountKind.INTERFACE)
    audit.record(actor=actor, action="catalog.resource.mount_interface", obj=resource, before=before,
                 after={"state": resource.state, "mount": mount.pk, "url": url, "method": method, "params": params})  # fmt: skip
    return ServiceResult(resource)


def _drop_rows(resource_id: int) -> None:
    from sanbu.datastore import loading

    loading.drop_other_mounts(resource_id=resource_id, keep_mount_id=None)


@transaction.atomic
def resource_mount_rows(
    *, actor: Actor, resource_id: int, expected_version: int | None, file: IO[bytes], filename: str
) -> ServiceResult:
    """挂接 data rows: every row validated against the items; nothing stored if any row fails."""
    from sanbu.datastore import loading

    resource = _locked_resource(actor, resource_id, "catalog.resource.mount")
    _check_revision(resource, expected_version)
    _require_state(resource, [ResourceState.APPROVED, ResourceState.MOUNTED, ResourceState.PUBLISHED], "挂接")
    items = list(resource.items.select_related("element").order_by("position", "id"))
    if not items:
        raise ValidationFailed(
            "catalog.mount.no_items", "该资源没有信息项，无法按字段校验数据：请先登记信息项。"
        )
    parsed = loading.parse_rows(file=file, filename=filename, items=items)
    if parsed.errors:
        raise ValidationFailed(
            "catalog.mount.rows_invalid",
            f"数据有 {len(parsed.errors)} 处错误，未挂接任何数据。请按行修改后重新上传。",
            errors=[FieldError(e.where, e.code, e.message) for e in parsed.errors],
            error_count=len(parsed.errors),
        )
    ResourceMount.objects.filter(resource=resource, is_current=True).update(is_current=False)
    mount = ResourceMount.objects.create(
        resource=resource, kind=MountKind.ROWS, file_name=filename[:200], row_count=len(parsed.rows),
        created_by=actor.username,
    )  # fmt: skip
    key = loading.key_item(items)
    loading.store_rows(
        resource_id=resource.pk, mount_id=mount.pk, rows=parsed.rows, key_name=key.name if key else None,
        protected=loading.protected_items(items, resource.data_grade),
        view=loading.view_spec(items, resource.data_grade),
    )  # fmt: skip
    resource_id, mount_id = resource.pk, mount.pk
    transaction.on_commit(lambda: loading.drop_other_mounts(resource_id=resource_id, keep_mount_id=mount_id))
    target = ResourceState.PUBLISHED if resource.state == ResourceState.PUBLISHED else ResourceState.MOUNTED
    before = _transition(resource, target, mount_kind=MountKind.ROWS)
    audit.record(actor=actor, action="catalog.resource.mount_rows", obj=resource, before=before,
                 after={"state": resource.state, "mount": mount.pk, "file": filename, "rows": len(parsed.rows)})  # fmt: skip
    return ServiceResult(resource)


@transaction.atomic
def resource_publish(*, actor: Actor, resource_id: int, expected_version: int | None) -> ServiceResult:
    """发布: freeze an immutable version. Blocks with the rule (CAT-4, CAT-5) when it is not ready."""
    resource = _locked_resource(actor, resource_id, "catalog.resource.publish")
    _check_revision(resource, expected_version)
    _require_state(resource, [ResourceState.MOUNTED, ResourceState.OFFLINE, ResourceState.APPROVED], "发布")
    warnings = raise_if_blocked(rules.can_publish(facts.resource_facts(resource)))
    now = timezone.now()
    number = resource.published_version + 1
    before = _transition(resource, ResourceState.PUBLISHED, published_version=number, published_at=now)
    ResourceVersion.objects.create(
        resource=resource, number=number, snapshot=resource_snapshot(resource), published_at=now,
        published_by=actor.username,
    )  # fmt: skip
    audit.record(actor=actor, action="catalog.resource.publish", obj=resource, before=before,
                 after={"state": resource.state, "published_version": number})  # fmt: skip
    return ServiceResult(resource, warnings)


@transaction.atomic
def resource_offline(
    *, actor: Actor, resource_id: int, expected_version: int | None, reason: str
) -> ServiceResult:
    """下线: withdraw a published resource (its versions remain); a reason is required."""
    resource = _locked_resource(actor, resource_id, "catalog.resource.offline")
    _check_revision(resource, expected_version)
    _require_state(resource, [ResourceState.PUBLISHED], "下线")
    _check_text(reason, 500, "reason", "下线原因")
    if not reason.strip():
        raise ValidationFailed("catalog.offline.reason_required", "下线时必须说明原因。",
                               errors=[FieldError("reason", "required", "请填写下线原因。")])  # fmt: skip
    before = _transition(resource, ResourceState.OFFLINE, review_note=reason.strip())
    audit.record(actor=actor, action="catalog.resource.offline", obj=resource, before=before,
                 after={"state": resource.state, "reason": reason.strip()})  # fmt: skip
    return ServiceResult(resource)


# --- data elements and 一数一源 ------------------------------------------------------------------


@transaction.atomic
def element_claim(
    *, actor: Actor, element_id: int, department_id: int | None = None
) -> ElementConflict | None:
    dept = _department_for(actor, department_id, "catalog.element.claim")
    element = DataElement.objects.select_for_update().filter(pk=element_id).first()
    if element is None:
        raise NotFound("catalog.element.not_found", "数据元不存在。")
    return claim_authority(actor=actor, department=dept, element=element)


@transaction.atomic
def conflict_resolve(
    *, actor: Actor, conflict_id: int, winner_department_id: int, note: str
) -> ElementConflict:
    """The authority decides which department is the one source; the other is told to consume it."""
    conflict = (
        ElementConflict.objects.select_for_update().select_related("element", "claimant", "incumbent")
        .filter(pk=conflict_id).first()
    )  # fmt: skip
    if conflict is None or not actor.can("catalog.conflict.resolve", conflict.scope()):
        raise NotFound("catalog.conflict.not_found", "冲突不存在或您无权处理。")
    if conflict.state != ConflictState.OPEN:
        raise Conflict("catalog.conflict.resolved", "该冲突已被处理，请刷新查看结果。")
    _check_text(note, 300, "note", "处理意见")
    if winner_department_id not in (conflict.incumbent_id, conflict.claimant_id):
        raise ValidationFailed(
            "catalog.conflict.bad_winner", "权威来源只能在冲突双方中选择。",
            errors=[FieldError("winner_department_id", "invalid", "请选择冲突双方之一。")],
        )  # fmt: skip
    if not note.strip():
        raise ValidationFailed("catalog.conflict.note_required", "请填写处理意见。",
                               errors=[FieldError("note", "required", "请填写处理意见。")])  # fmt: skip
    element = DataElement.objects.select_for_update().get(pk=conflict.element_id)
    before = audit.snapshot(conflict, ["state", "winner_id", "resolution"])
    conflict.state = ConflictState.RESOLVED
    conflict.winner_id = winner_department_id
    conflict.resolution = note.strip()
    conflict.resolved_at = timezone.now()
    conflict.save()
    if element.authority_id != winner_department_id:
        el_before = audit.snapshot(element, ["authority_id"])
        element.authority_id = winner_department_id
        element.version += 1
        element.save(update_fields=["authority", "version"])
        audit.record(actor=actor, action="catalog.element.authority", obj=element, before=el_before)
    audit.record(actor=actor, action="catalog.conflict.resolve", obj=conflict, before=before)
    return conflict


@transaction.atomic
def item_link_element(*, actor: Actor, item_id: int, element_id: int) -> ResourceItem:
    """Link an item to the standard element it holds (CAT-3). It changes no data and no share
    attribute, so the resource keeps its state; only a resource under review is left alone."""
    item = ResourceItem.objects.filter(pk=item_id).first()
    resource = _locked_resource(actor, item.resource_id, "catalog.resource.edit") if item else None
    if item is None or resource is None:
        raise NotFound("catalog.item.not_found", "信息项不存在或您无权修改。")
    _require_state(resource, EDITABLE_STATES, "关联数据元")
    element = DataElement.objects.filter(pk=element_id).first()
    if element is None:
        raise NotFound("catalog.element.not_found", "数据元不存在。")
    before = audit.snapshot(item, ["element_id"])
    item.element = element
    item.save(update_fields=["element"])
    Resource.objects.filter(pk=resource.pk).update(version=F("version") + 1)
    audit.record(actor=actor, action="catalog.item.link", obj=item, before=before)
    search.index_resources([resource.pk])
    return item


@transaction.atomic
def element_save(
    *, actor: Actor, identifier: str, name: str, data_type: str, synonyms: list[str] | None = None,
    length: str = "", format: str = "", value_domain: str = "", definition: str = "",
) -> DataElement:  # fmt: skip
    """Create or edit a standard data element (the authority keeps the standard)."""
    if (
        not actor.can("catalog.element.manage", Scope(jurisdiction=actor.jurisdiction or ""))
        and not actor.is_superuser
    ):
        raise NotFound("catalog.element.not_found", "只有平台管理员可以维护数据元标准。")
    from .models import DataType

    errors = [
        p
        for p in (
            text_problem(identifier, 32, "identifier", "标识符"),
            text_problem(name, 64, "name", "中文名称"),
            text_problem(length, 16, "length", "长度"),
            text_problem(format, 64, "format", "表示格式"),
            text_problem(value_domain, 200, "value_domain", "值域"),
            text_problem(definition, 300, "definition", "定义"),
            *(text_problem(syn, 64, "synonyms", "同义名称") for syn in synonyms or []),
        )
        if p is not None
    ]
    if not identifier.strip():
        errors.append(FieldError("identifier", "required", "标识符为必填项。"))
    if not name.strip():
        errors.append(FieldError("name", "required", "中文名称为必填项。"))
    if data_type not in DataType.values:
        errors.append(
            FieldError("data_type", "invalid_choice", f"数据类型应为 {'/'.join(DataType.values)} 之一。")
        )
    clash = DataElement.objects.filter(name=name.strip()).exclude(identifier=identifier.strip())
    if clash.exists():
        errors.append(FieldError("name", "duplicate", f"已有名为“{name}”的数据元。"))
    if errors:
        raise ValidationFailed("catalog.element.invalid", "数据元填写有误。", errors=errors)
    element = DataElement.objects.select_for_update().filter(identifier=identifier.strip()).first()
    before = audit.snapshot(element) if element else None
    if element is None:
        element = DataElement(identifier=identifier.strip())
    element.name = name.strip()
    element.data_type = data_type
    element.synonyms = [s.strip() for s in (synonyms or []) if s.strip()]
    element.length, element.format, element.value_domain, element.definition = (
        length,
        format,
        value_domain,
        definition,
    )
    if before is not None:
        element.version += 1
    element.save()
    audit.record(actor=actor, action="catalog.element.save", obj=element, before=before)
    return element
