"""Catalog import from the department template (``catalog_template.xlsx``).

Validate everything, then write everything: the workbook is streamed into typed rows (sheet and Excel row
kept), every row runs the shared ``inputs.validate_resource`` plus the checks across rows and against the
database (provider code and permission, duplicate names and codes, orphan item rows, unknown data
elements). Any error, or a dry run, writes nothing. Otherwise one transaction creates the new resources and
updates the changed ones in bulk, with one change record per resource; an unchanged resource is left alone
(no revision bump, no change record), so importing the same file twice changes nothing.
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Field, Model
from django.utils import timezone

from sanbu.core import audit
from sanbu.core.actor import Actor
from sanbu.core.identifiers import check_uscc
from sanbu.orgs.models import Department
from sanbu.policy.sources import source_of

from . import codes, search, services
from .elements import ElementIndex
from .inputs import ItemInput, ResourceInput, validate_resource
from .models import (
    CodeSequence,
    DataElement,
    ElementConflict,
    Masking,
    Resource,
    ResourceItem,
    ResourceState,
)
from .sheet import (
    FILE_SHEET,
    ITEM_BY_FIELD,
    ITEM_COLUMNS,
    ITEM_SHEET,
    RESOURCE_BY_FIELD,
    RESOURCE_COLUMNS,
    RESOURCE_SHEET,
    CellValueError,
    Column,
    choice_labels,
    normalize_header,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    text_of,
)
from .xlsxread import XlsxError, XlsxReader

Progress = Callable[[int, int, str], None]
"""``progress(done, total, phase)``; phase is ``parse``, ``check`` or ``write``."""

PROGRESS_EVERY = 2000
BATCH = 1000
# Fields compared to decide whether a matched resource changed (the code never changes once given).
COMPARED_FIELDS = [f for f in services.RESOURCE_FIELDS if f != "code"]
SHEET_ORDER = {FILE_SHEET: 0, RESOURCE_SHEET: 1, ITEM_SHEET: 2}

# Stable codes → Chinese messages saying what is wrong and how to fix it.
MESSAGES = {
    "import.file.xls": "这是旧版 Excel（.xls）文件：请在 Excel 中“另存为” .xlsx 格式后再导入。",
    "import.file.not_xlsx": (
        "文件不是 Excel 工作簿（.xlsx）：请下载平台提供的目录模板，填写后按 .xlsx 格式保存再导入。"
    ),
    "import.file.unreadable": "无法读取文件：{reason}。",
    "import.file.invalid": (
        "文件不是有效的 Excel 工作簿，或已损坏（{reason}）：请用 Excel 打开检查后另存为 .xlsx 再导入。"
    ),
    "import.file.damaged": ("读取到此行时文件内容损坏（{reason}）：请用 Excel 打开后另存为 .xlsx 再导入。"),
    "import.sheet.missing": "缺少工作表“{name}”：请使用平台提供的目录模板（含“资源”“信息项”两张表）。",
    "import.header.missing": "工作表是空的，缺少表头：请使用平台提供的目录模板。",
    "import.header.mismatch": (
        "第 {letter} 列表头应为“{title}”，实际为{shown}：请使用平台提供的目录模板，不要增删、调换或改名列。"
    ),
    "import.empty": "“资源”表没有任何资源行：请从第 2 行起每个资源填写一行。",
    "import.item.orphan": (
        "“{name}”在“资源”表中不存在：请与“资源”表中的信息资源名称一字不差，或先在“资源”表登记该资源。"
    ),
    "import.item.ambiguous": (
        "“资源”表第 {rows} 行有多个提供方的同名资源，无法确定本信息项所属："
        "请在本列改填该资源的信息资源代码，或分开文件导入各部门的目录。"
    ),
    "import.item.unknown_element": (
        "引用数据元“{ref}”不在数据元标准中：请填写标准中的中文名称或标识符（如 公民身份号码），或留空。"
    ),
    "import.resource.duplicate_name": (
        "与第 {row} 行重复：同一提供方的信息资源名称不能重复，请改名或合并两行。"
    ),
    "import.code.duplicate": (
        "信息资源代码 {code} 与第 {row} 行重复：每个资源的代码唯一，新资源请留空由平台生成。"
    ),
    "import.provider.unknown": (
        "统一社会信用代码 {uscc} 不是平台已登记的部门：请核对代码，或请平台管理员先登记该部门。"
    ),
    "import.provider.forbidden": (
        "您无权为“{dept}”导入目录：部门数据管理员只能导入本部门的资源，请删除此行或由该部门导入。"
    ),
    "import.provider.name_mismatch": (
        "“{given}”与提供方代码 {uscc} 登记的部门“{dept}”不一致：请填写部门全称，或核对代码。"
    ),
    "import.provider.inactive": "“{dept}”已停用，不能再为其导入目录：请核对提供方代码。",
    "import.conflict": "导入时目录被他人同时修改（同名资源或相同代码已存在），未导入任何内容：请稍后重新导入。",
    "import.changed": "导入期间资源“{name}”等 {count} 个资源被他人修改或提交审核，未导入任何内容：请重新导出或刷新后再导入。",
    "import.code.taken": "信息资源代码 {code} 已被其他部门的资源使用：请核对代码，新资源请留空由平台生成。",
    "import.code.immutable": (
        "本部门已有资源“{name}”，其代码为 {code}；代码登记后不可更改：请填写原代码或留空。"
    ),
    "import.resource.same_target": "与第 {row} 行对应同一个已登记资源（{code}）：请删除重复的行。",
    "import.resource.name_taken": "本部门已有名为“{name}”的另一资源（{code}）：请换一个名称。",
    "import.resource.in_review": (
        "资源“{name}”（{code}）正在审核中，不能通过导入修改：请等待审核结果后再导入。"
    ),
}


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRowError:
    """One problem, placed at its sheet, Excel row (header = 1) and column."""

    sheet: str
    row: int
    column: str  # the template's column name without the required mark; "" for the whole row or file
    code: str  # stable, e.g. ``import.uscc.checksum``
    message: str  # Chinese: what is wrong and how to fix it
    letter: str = ""  # the column letter, e.g. ``J``

    @property
    def cell(self) -> str:
        return f"{self.letter}{self.row}" if self.letter else str(self.row)

    def line(self) -> str:
        """``资源!5 共享条件：有条件共享时必须填写共享条件（CAT-5）。``"""
        where = f"{self.sheet}!{self.row}"
        return f"{where} {self.column}：{self.message}" if self.column else f"{where} {self.message}"

    def sort_key(self) -> tuple[int, int, str]:
        return SHEET_ORDER.get(self.sheet, 9), self.row, self.letter

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "letter": self.letter,
            "code": self.code,
            "message": self.message,
            "line": self.line(),
        }


@dataclass(frozen=True)
class PlannedChange:
    """What the import does (or, in a dry run, would do) with one 资源 row."""

    row: int
    action: str  # create, update, unchanged
    name: str
    provider: str  # the provider's 统一社会信用代码
    code: str  # "" when the platform will generate it
    resource_id: int | None
    items: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ImportReport:
    errors: list[ImportRowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resource_ids: list[int] = field(default_factory=list)  # created and updated resources
    dry_run: bool = False
    items: int = 0  # 信息项 rows read
    changes: list[PlannedChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. 一数一源 conflicts opened

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def lines(self) -> list[str]:
        return [e.line() for e in self.errors]

    def summary(self) -> str:
        verb = "将" if self.dry_run else ""
        return f"{verb}新建 {self.created}、{verb}更新 {self.updated}、未变 {self.unchanged}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "items": self.items,
            "resource_ids": self.resource_ids,
            "errors": [e.as_dict() for e in self.errors],
            "changes": [c.as_dict() for c in self.changes],
            "warnings": self.warnings,
        }


# --- parsed rows ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ItemRow:
    row: int
    resource_name: str
    data: ItemInput
    bad: set[str]


@dataclass(slots=True)
class ResourceRow:
    row: int
    data: ResourceInput
    provider_name: str
    provider_uscc: str
    bad: set[str]
    item_rows: list[ItemRow] = field(default_factory=list)
    failed: bool = False
    department: Department | None = None
    elements: list[DataElement | None] = field(default_factory=list)


@dataclass
class ParsedWorkbook:
    resources: list[ResourceRow] = field(default_factory=list)
    items: list[ItemRow] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)
    fatal: bool = False


class _Errors:
    """Collects errors and remembers which rows failed."""

    def __init__(self) -> None:
        self.items: list[ImportRowError] = []

    def add(
        self, sheet: str, row: int, col: Column | None, code: str, message: str = "", /, **kw: Any
    ) -> None:
        """Add an error; without ``message`` the text comes from MESSAGES[code] filled with ``kw``."""
        text = message or MESSAGES[code].format(**kw)
        self.items.append(
            ImportRowError(sheet, row, col.header if col else "", code, text, col.letter if col else "")
        )


def _opened(file: Any) -> tuple[XlsxReader | None, str, dict[str, str]]:
    """The workbook, or the error code (and its details) saying why it cannot be read as .xlsx."""
    head = b""
    if isinstance(file, str | Path):
        try:
            with open(file, "rb") as fh:
                head = fh.read(8)
        except OSError as exc:
            return None, "import.file.unreadable", {"reason": str(exc.strerror or exc)}
        file = str(file)
    elif hasattr(file, "read") and hasattr(file, "seek"):
        file.seek(0)
        head = file.read(8)
        file.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return None, "import.file.xls", {}
    if not head.startswith(b"PK"):
        return None, "import.file.not_xlsx", {}
    try:
        return XlsxReader(file), "", {}
    except XlsxError as exc:
        return None, "import.file.invalid", {"reason": str(exc)}


def _check_header(sheet: str, values: tuple[Any, ...], columns: tuple[Column, ...], errors: _Errors) -> bool:
    ok = True
    for i, col in enumerate(columns):
        actual = text_of(values[i]) if i < len(values) else ""
        if normalize_header(actual) != normalize_header(col.title):
            ok = False
            shown = f"“{actual}”" if actual else "空白"
            errors.add(
                sheet, 1, col, "import.header.mismatch", letter=col.letter, title=col.title, shown=shown
            )
    return ok


def _read_cells(
    sheet: str, row: int, values: tuple[Any, ...], columns: tuple[Column, ...], errors: _Errors
) -> tuple[dict[str, Any], set[str]]:
    out: dict[str, Any] = {}
    bad: set[str] = set()
    for i, col in enumerate(columns):
        raw = values[i] if i < len(values) else None
        value: Any
        try:
            if col.kind == "choice":
                assert col.choices is not None
                value = parse_choice(raw, col.choices)
            elif col.kind == "bool":
                value = parse_bool(raw)
            elif col.kind == "date":
                value = parse_date(raw)
            elif col.kind == "int":
                value = parse_int(raw)
            else:
                value = text_of(raw)
                if col.max_length and len(value) > col.max_length:
                    raise CellValueError(
                        "import.cell.too_long", f"不超过 {col.max_length} 字，当前 {len(value)} 字：请精简。"
                    )
        except CellValueError as exc:
            errors.add(sheet, row, col, exc.code, exc.message)
            bad.add(col.field)
            value = None
        if col.required and value in (None, "") and col.field not in bad:
            hint = "为必填项"
            if col.kind == "choice" and col.choices is not None:
                hint += f"，请从下拉列表中选择：{'、'.join(choice_labels(col.choices))}"
            elif col.kind == "bool":
                hint += "，请填写“是”或“否”"
            errors.add(sheet, row, col, "import.cell.required", f"{col.header}{hint}。")
            bad.add(col.field)
        out[col.field] = value
    return out, bad


def _resource_input(v: dict[str, Any]) -> ResourceInput:
    return ResourceInput(
        name=v["name"] or "",
        code=v["code"] or "",
        catalog_class=v["catalog_class"] or "",
        subclass=v["subclass"] or "",
        summary=v["summary"] or "",
        format=v["format"] or "",
        share_type=v["share_type"] or "",
        share_condition=v["share_condition"] or "",
        no_share_basis=v["no_share_basis"] or "",
        share_method=v["share_method"] or "",
        open_to_public=bool(v["open_to_public"]),
        open_condition=v["open_condition"] or "",
        update_cycle=v["update_cycle"] or "",
        release_date=v["release_date"],
        secrecy=v["secrecy"] or "",
        data_grade=v["data_grade"] or "",
        source_system=v["source_system"] or "",
        related_codes=v["related_codes"] or "",
    )


def _item_input(v: dict[str, Any]) -> ItemInput:
    return ItemInput(
        name=v["name"] or "",
        data_type=v["data_type"] or "",
        length=v["length"],
        element=v["element"] or "",
        is_key=bool(v["is_key"]),
        is_authoritative=bool(v["is_authoritative"]),
        share_type=v["share_type"] or "",
        share_condition=v["share_condition"] or "",
        masking=v["masking"] or Masking.NONE,
    )


def _blank(values: tuple[Any, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _read_sheet(
    sheet: str,
    book: XlsxReader,
    columns: tuple[Column, ...],
    parsed: ParsedWorkbook,
    errors: _Errors,
    tick: Callable[[], None],
) -> bool:
    """Stream one sheet into typed rows; False when its header is wrong or it cannot be read."""
    row = 0
    header_ok = False
    try:
        for row, values in book.iter_rows(sheet, len(columns)):
            tick()
            if row == 1:
                header_ok = _check_header(sheet, values, columns, errors)
                continue
            if not header_ok or _blank(values):
                continue
            cells, bad = _read_cells(sheet, row, values, columns, errors)
            if sheet == RESOURCE_SHEET:
                data = _resource_input(cells)
                provider_name, provider_uscc = cells["provider_name"] or "", cells["provider_uscc"] or ""
                parsed.resources.append(ResourceRow(row, data, provider_name, provider_uscc, bad))
            else:
                parsed.items.append(ItemRow(row, cells["resource_name"] or "", _item_input(cells), bad))
    except Exception as exc:  # a damaged sheet part: report where reading stopped, never a traceback
        errors.add(sheet, row + 1, None, "import.file.damaged", reason=type(exc).__name__)
        return False
    if row == 0 or (not header_ok and not any(e.sheet == sheet and e.row == 1 for e in errors.items)):
        errors.add(sheet, 1, None, "import.header.missing")
        return False
    return header_ok


def parse_workbook(file: Any, progress: Progress | None = None) -> ParsedWorkbook:
    """Stream the two data sheets into typed rows; cell-level errors only (no database)."""
    errors = _Errors()
    parsed = ParsedWorkbook(errors=errors.items)
    book, problem, details = _opened(file)
    if book is None:
        errors.add(FILE_SHEET, 1, None, problem, **details)
        parsed.fatal = True
        return parsed
    with book:
        missing = [name for name in (RESOURCE_SHEET, ITEM_SHEET) if name not in book.sheetnames]
        for name in missing:
            errors.add(name, 1, None, "import.sheet.missing", name=name)
        if missing:
            parsed.fatal = True
            return parsed
        try:
            total = sum(book.dimension_rows(name) or 0 for name in (RESOURCE_SHEET, ITEM_SHEET))
        except Exception:  # the rows will tell
            total = 0
        done = [0]

        def tick() -> None:
            done[0] += 1
            if progress and done[0] % PROGRESS_EVERY == 0:
                progress(done[0], max(total, done[0]), "parse")

        ok = _read_sheet(RESOURCE_SHEET, book, RESOURCE_COLUMNS, parsed, errors, tick)
        ok = _read_sheet(ITEM_SHEET, book, ITEM_COLUMNS, parsed, errors, tick) and ok
        parsed.fatal = not ok
        if progress:
            progress(done[0], done[0], "parse")
    return parsed


# --- checks across rows and against the database --------------------------------------------------


def _field_column(field_name: str, row: ResourceRow) -> tuple[str, int, Column | None, set[str]]:
    """Map a FieldError.field of validate_resource back to (sheet, row, column, already-bad fields)."""
    if field_name.startswith("items["):
        idx_text, _, item_field = field_name[len("items[") :].partition("].")
        item = row.item_rows[int(idx_text) - 1]
        return ITEM_SHEET, item.row, ITEM_BY_FIELD.get(item_field), item.bad
    return RESOURCE_SHEET, row.row, RESOURCE_BY_FIELD.get(field_name), row.bad


def _attach_items(parsed: ParsedWorkbook, errors: _Errors) -> None:
    """Give each 信息项 row to its 资源 row: by name, or by 信息资源代码 when names are ambiguous."""
    by_name: dict[str, list[ResourceRow]] = defaultdict(list)
    by_code: dict[str, ResourceRow] = {}
    for res in parsed.resources:
        by_name[res.data.name].append(res)
        if res.data.code:
            by_code.setdefault(res.data.code, res)
    col = ITEM_BY_FIELD["resource_name"]
    for item in parsed.items:
        if "resource_name" in item.bad:
            continue
        owners = by_name.get(item.resource_name) or (
            [by_code[item.resource_name]] if item.resource_name in by_code else []
        )
        if not owners:
            errors.add(ITEM_SHEET, item.row, col, "import.item.orphan", name=item.resource_name)
        elif len({o.provider_uscc for o in owners}) > 1:
            rows = "、".join(str(o.row) for o in owners)
            errors.add(ITEM_SHEET, item.row, col, "import.item.ambiguous", rows=rows)
        else:
            owners[0].item_rows.append(item)
    for res in parsed.resources:
        res.data.items = [i.data for i in res.item_rows]


def _check_rows(parsed: ParsedWorkbook, errors: _Errors, index: ElementIndex) -> None:
    """validate_resource on each row, element references, duplicates within the file."""
    seen_names: dict[tuple[str, str], int] = {}
    seen_codes: dict[str, int] = {}
    col_name, col_code, col_el = (
        RESOURCE_BY_FIELD["name"],
        RESOURCE_BY_FIELD["code"],
        ITEM_BY_FIELD["element"],
    )
    for res in parsed.resources:
        before = len(errors.items)
        for fe in validate_resource(res.data):
            sheet, row, col, bad = _field_column(fe.field, res)
            if col is not None and col.field in bad:
                continue  # the cell itself was already reported
            kind = "item" if sheet == ITEM_SHEET else "resource"
            errors.add(sheet, row, col, f"import.{kind}.{fe.code}", fe.message)
        res.elements = []
        for item in res.item_rows:
            ref = item.data.element.strip()
            element = index.find(ref) if ref else None
            if ref and element is None:
                errors.add(ITEM_SHEET, item.row, col_el, "import.item.unknown_element", ref=ref)
            res.elements.append(element)
        name = res.data.name.strip()
        key = (res.provider_uscc.strip().upper(), name)
        if name and key in seen_names:
            errors.add(
                RESOURCE_SHEET, res.row, col_name, "import.resource.duplicate_name", row=seen_names[key]
            )
        seen_names.setdefault(key, res.row)
        code = res.data.code.strip()
        if code and code in seen_codes:
            errors.add(
                RESOURCE_SHEET, res.row, col_code, "import.code.duplicate", code=code, row=seen_codes[code]
            )
        seen_codes.setdefault(code, res.row)
        if len(errors.items) > before:
            res.failed = True


def _check_providers(actor: Actor, parsed: ParsedWorkbook, errors: _Errors) -> dict[str, Department]:
    """提供方代码 valid, a registered department, name matching, and the actor may import for it."""
    col_code, col_name = RESOURCE_BY_FIELD["provider_uscc"], RESOURCE_BY_FIELD["provider_name"]
    checks = {raw: check_uscc(raw) for raw in {r.provider_uscc for r in parsed.resources if r.provider_uscc}}
    valid = sorted({c.value for c in checks.values() if c.ok})
    departments: dict[str, Department] = {}
    for start in range(0, len(valid), 500):
        for d in Department.objects.filter(uscc__in=valid[start : start + 500]):
            departments[d.uscc] = d
    for res in parsed.resources:
        if "provider_uscc" in res.bad:
            res.failed = True
            continue
        check = checks[res.provider_uscc]
        if not check.ok:
            errors.add(RESOURCE_SHEET, res.row, col_code, f"import.{check.code}", check.message)
            res.failed = True
            continue
        dept = departments.get(check.value)
        if dept is None:
            errors.add(RESOURCE_SHEET, res.row, col_code, "import.provider.unknown", uscc=check.value)
            res.failed = True
            continue
        if not dept.is_active:
            errors.add(RESOURCE_SHEET, res.row, col_code, "import.provider.inactive", dept=dept.name)
            res.failed = True
            continue
        if not actor.can("catalog.import", dept.scope()):
            errors.add(RESOURCE_SHEET, res.row, col_code, "import.provider.forbidden", dept=dept.name)
            res.failed = True
            continue
        if "provider_name" not in res.bad and res.provider_name.strip() not in {dept.name, dept.short_name}:
            errors.add(
                RESOURCE_SHEET,
                res.row,
                col_name,
                "import.provider.name_mismatch",
                given=res.provider_name,
                uscc=dept.uscc,
                dept=dept.name,
            )
            res.failed = True
        res.department = dept
    return departments


# --- the plan -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Existing:
    values: dict[str, Any]
    items: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return int(self.values["id"])


class _Stale(Exception):
    """Resources changed between planning and writing; the transaction is rolled back."""

    def __init__(self, name: str, count: int) -> None:
        super().__init__(name)
        self.name, self.count = name, count


@dataclass(slots=True)
class _Step:
    res: ResourceRow
    action: str
    existing: _Existing | None = None
    new_values: dict[str, Any] = field(default_factory=dict)
    new_items: list[tuple[Any, ...]] = field(default_factory=list)
    code: str = ""
    resource_id: int | None = None


ITEM_TUPLE_FIELDS = ["name", "element_id", *services.ITEM_FIELDS[1:]]
_SHAPE = [ITEM_TUPLE_FIELDS.index(f) for f in ("name", "data_type", "length")]


def _shape(items: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Names, types and lengths: what mounted rows were validated against."""
    return [tuple(t[i] for i in _SHAPE) for t in items]


def _input_values(data: ResourceInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in COMPARED_FIELDS:
        value = getattr(data, name)
        out[name] = value.strip() if isinstance(value, str) else value
    return out


def _input_items(data: ResourceInput, elements: list[DataElement | None]) -> list[tuple[Any, ...]]:
    return [
        (
            i.name.strip(),
            el.pk if el else None,
            i.data_type,
            i.length,
            i.is_key,
            i.is_authoritative,
            i.share_type,
            i.share_condition.strip(),
            i.masking,
        )
        for i, el in zip(data.items, elements, strict=True)
    ]


def _chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load_existing(rows: list[ResourceRow]) -> tuple[dict[str, _Existing], dict[tuple[int, str], _Existing]]:
    fields = ["id", "department_id", "jurisdiction_id", "code", "state", "version", *COMPARED_FIELDS]
    by_code: dict[str, _Existing] = {}
    by_name: dict[tuple[int, str], _Existing] = {}
    dept_ids = sorted({r.department.pk for r in rows if r.department is not None})
    for chunk in _chunks(dept_ids):
        for values in (
            Resource.objects.filter(department_id__in=chunk).values(*fields).iterator(chunk_size=2000)
        ):
            ex = _Existing(values)
            by_code[values["code"]] = ex
            by_name[(values["department_id"], values["name"])] = ex
    wanted = sorted({r.data.code.strip() for r in rows if r.data.code.strip()} - set(by_code))
    for chunk in _chunks(wanted):
        for values in Resource.objects.filter(code__in=chunk).values(*fields):
            by_code[values["code"]] = _Existing(values)
    return by_code, by_name


def _load_items(targets: list[_Existing]) -> None:
    by_id = {t.pk: t for t in targets}
    for chunk in _chunks(sorted(by_id)):
        qs = (
            ResourceItem.objects.filter(resource_id__in=chunk)
            .order_by("resource_id", "position", "id")
            .values_list("resource_id", *ITEM_TUPLE_FIELDS)
        )
        for row in qs.iterator(chunk_size=5000):
            by_id[row[0]].items.append(tuple(row[1:]))


def _plan(parsed: ParsedWorkbook, errors: _Errors, progress: Progress | None) -> list[_Step]:
    rows = [r for r in parsed.resources if not r.failed and r.department is not None]
    by_code, by_name = _load_existing(rows)
    col_code, col_name = RESOURCE_BY_FIELD["code"], RESOURCE_BY_FIELD["name"]
    steps: list[_Step] = []
    claimed: dict[int, int] = {}
    for n, res in enumerate(rows, start=1):
        if progress and n % PROGRESS_EVERY == 0:
            progress(n, len(rows), "check")
        dept = res.department
        assert dept is not None
        name, code = res.data.name.strip(), res.data.code.strip()
        target: _Existing | None = None
        if code:
            target = by_code.get(code)
            if target is not None and target.values["department_id"] != dept.pk:
                errors.add(RESOURCE_SHEET, res.row, col_code, "import.code.taken", code=code)
                continue
            same_name = by_name.get((dept.pk, name))
            if target is None and same_name is not None:
                errors.add(
                    RESOURCE_SHEET,
                    res.row,
                    col_code,
                    "import.code.immutable",
                    name=name,
                    code=same_name.values["code"],
                )
                continue
        else:
            target = by_name.get((dept.pk, name))
        if target is None:
            steps.append(
                _Step(
                    res,
                    "create",
                    code=code,
                    new_values=_input_values(res.data),
                    new_items=_input_items(res.data, res.elements),
                )
            )
            continue
        if target.pk in claimed:
            errors.add(
                RESOURCE_SHEET,
                res.row,
                col_name,
                "import.resource.same_target",
                row=claimed[target.pk],
                code=target.values["code"],
            )
            continue
        claimed[target.pk] = res.row
        if target.values["name"] != name:
            other = by_name.get((dept.pk, name))
            if other is not None and other.pk != target.pk:
                errors.add(
                    RESOURCE_SHEET,
                    res.row,
                    col_name,
                    "import.resource.name_taken",
                    name=name,
                    code=other.values["code"],
                )
                continue
        steps.append(
            _Step(
                res,
                "check",
                existing=target,
                code=target.values["code"],
                resource_id=target.pk,
                new_values=_input_values(res.data),
                new_items=_input_items(res.data, res.elements),
            )
        )
    _load_items([s.existing for s in steps if s.existing is not None])
    for step in steps:
        ex = step.existing
        if ex is None:
            continue
        same = all(ex.values[f] == step.new_values[f] for f in COMPARED_FIELDS) and ex.items == step.new_items
        if same:
            step.action = "unchanged"
        elif ex.values["state"] not in services.EDITABLE_STATES:
            step.action = "blocked"
            errors.add(
                RESOURCE_SHEET,
                step.res.row,
                None,
                "import.resource.in_review",
                name=ex.values["name"],
                code=ex.values["code"],
            )
        else:
            step.action = "update"
    return steps


# --- writing --------------------------------------------------------------------------------------


def _allocate_codes(steps: list[_Step], file_codes: set[str]) -> None:
    """Blank codes → 分类码 + 顺序码, allocated per prefix in bulk under the CodeSequence row lock."""
    by_prefix: dict[str, list[_Step]] = defaultdict(list)
    for step in steps:
        if step.action == "create" and not step.code:
            dept = step.res.department
            assert dept is not None
            by_prefix[
                codes.prefix_for(step.res.data.catalog_class, step.res.data.subclass, dept.jurisdiction_id)
            ].append(step)
    for prefix, group in sorted(by_prefix.items()):
        seq, _ = CodeSequence.objects.select_for_update().get_or_create(prefix=prefix)
        taken = set(Resource.objects.filter(code__startswith=f"{prefix}/").values_list("code", flat=True))
        for step in group:
            while True:
                seq.last += 1
                code = codes.compose(prefix, seq.last)
                if code not in taken and code not in file_codes:
                    step.code = code
                    break
        seq.save(update_fields=["last"])


def _snapshot(
    values: dict[str, Any],
    code: str,
    dept: Department,
    items: list[tuple[Any, ...]],
    identifiers: dict[int, str],
) -> dict[str, Any]:
    """The same shape as services.resource_snapshot, built from memory (no query per resource)."""
    data: dict[str, Any] = {}
    for name in services.RESOURCE_FIELDS:
        data[name] = code if name == "code" else values[name]
    data["department"] = dept.uscc
    data["department_name"] = dept.name
    data["items"] = [
        {
            "name": t[0],
            "data_type": t[2],
            "length": t[3],
            "is_key": t[4],
            "is_authoritative": t[5],
            "share_type": t[6],
            "share_condition": t[7],
            "masking": t[8],
            "element": identifiers.get(t[1]) if t[1] is not None else None,
        }
        for t in items
    ]
    return data


# Rows are written with executemany over the model's own columns: one prepared statement per table
# instead of Django's bulk_create, which on SQLite splits 100,000 items into ~1,100 compiled INSERTs
# (999-parameter limit) and builds a model instance per row. Columns come from the model, and any
# concrete field the import does not set gets its declared default, so a new field cannot be missed.
WRITE_BATCH = 5000
ITEM_COLUMNS_WRITTEN = ["resource_id", "position", *ITEM_TUPLE_FIELDS]
RESOURCE_COLUMNS_WRITTEN = ["department_id", "jurisdiction_id", "code", "state", "version", "created_at",
                            "updated_at", *COMPARED_FIELDS]  # fmt: skip
UPDATE_COLUMNS = [*COMPARED_FIELDS, "state", "version", "updated_at"]


def _preparer(
    model: type[Model], names: list[str]
) -> tuple[list[str], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
    """Column names for ``names`` plus defaulted fields, and a function turning a row into DB values."""
    connection = connections[router.db_for_write(model)]
    fields = [model._meta.get_field(n) for n in names]  # attnames (``resource_id``) are accepted too
    concrete: list[Field[Any, Any]] = [f for f in fields if isinstance(f, Field)]
    assert len(concrete) == len(fields)
    given = {f.attname for f in concrete}
    rest = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in given]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    columns = [str(f.column) for f in concrete] + [str(f.column) for f in rest]
    # only dates, datetimes and JSON need converting; str, int, bool and None go to the driver as they are
    convert = [
        (i, f) for i, f in enumerate(concrete)
        if f.get_internal_type() in ("DateField", "DateTimeField", "JSONField", "DecimalField")
    ]  # fmt: skip

    def prepare(row: tuple[Any, ...]) -> tuple[Any, ...]:
        if convert:
            values = list(row)
            for i, f in convert:
                values[i] = f.get_db_prep_save(values[i], connection)
            row = tuple(values)
        return row + defaults

    return columns, prepare


def _insert(model: type[Model], names: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    columns, prepare = _preparer(model, names)
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(prepare(row))
            if len(batch) >= WRITE_BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _update(model: type[Model], names: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """``UPDATE … SET names WHERE pk`` for rows of (pk, *values)."""
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    columns, prepare = _preparer(model, names)
    columns = columns[: len(names)]
    pk = qn(str(model._meta.pk.column)) if model._meta.pk else "id"
    sql = (
        f"UPDATE {qn(model._meta.db_table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} WHERE {pk} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*prepare(tuple(values))[: len(names)], key) for key, *values in rows])


def _apply(
    actor: Actor, steps: list[_Step], parsed: ParsedWorkbook, index: ElementIndex, progress: Progress | None
) -> list[str]:
    now = timezone.now()
    creates = [s for s in steps if s.action == "create"]
    updates = [s for s in steps if s.action == "update"]
    total = len(creates) + len(updates)
    _allocate_codes(creates, {r.data.code.strip() for r in parsed.resources if r.data.code.strip()})

    def resource_rows() -> Iterator[tuple[Any, ...]]:
        for step in creates:
            dept = step.res.department
            assert dept is not None
            yield (dept.pk, dept.jurisdiction_id, step.code, ResourceState.DRAFT.value, 1, now, now,
                   *(step.new_values[f] for f in COMPARED_FIELDS))  # fmt: skip

    _insert(Resource, RESOURCE_COLUMNS_WRITTEN, resource_rows())
    ids: dict[str, int] = {}
    for chunk in _chunks([s.code for s in creates]):
        ids.update(Resource.objects.filter(code__in=chunk).values_list("code", "id"))
    for step in creates:
        step.resource_id = ids[step.code]
    if progress:
        progress(len(creates), total, "write")

    # Lock what is about to be updated and compare revisions (a submit or edit since planning wins).
    locked: dict[int, int] = {}
    for chunk in _chunks([s.resource_id for s in updates]):
        locked.update(Resource.objects.select_for_update().filter(pk__in=chunk).values_list("id", "version"))
    stale = [
        s
        for s in updates
        if s.existing is None or locked.get(s.resource_id or 0) != s.existing.values["version"]
    ]
    if stale:
        raise _Stale(stale[0].new_values["name"], len(stale))
    _update(
        Resource,
        UPDATE_COLUMNS,
        (
            (s.resource_id, *(s.new_values[f] for f in COMPARED_FIELDS), ResourceState.DRAFT.value,
             s.existing.values["version"] + 1 if s.existing else 1, now)
            for s in updates
        ),
    )  # fmt: skip
    services.unmount_rows(
        [
            s.resource_id
            for s in updates
            if s.resource_id and s.existing and _shape(s.existing.items) != _shape(s.new_items)
        ]
    )
    # Items keep their ids across updates (matched by name), so what refers to an item stays valid.
    existing_items: dict[tuple[int, str], int] = {}
    for chunk in _chunks([s.resource_id for s in updates]):
        rows = ResourceItem.objects.filter(resource_id__in=chunk).values_list("id", "resource_id", "name")
        existing_items.update(((rid, name), pk) for pk, rid, name in rows)
    item_updates: list[tuple[Any, ...]] = []
    item_inserts: list[tuple[Any, ...]] = [
        (s.resource_id, pos, *t) for s in creates for pos, t in enumerate(s.new_items, start=1)
    ]
    for s in updates:
        for pos, t in enumerate(s.new_items, start=1):
            pk = existing_items.pop((s.resource_id, t[0]), None)  # type: ignore[arg-type]
            if pk is None:
                item_inserts.append((s.resource_id, pos, *t))
            else:
                item_updates.append((pk, pos, *t))
    for chunk in _chunks(list(existing_items.values())):
        ResourceItem.objects.filter(pk__in=chunk).delete()
    _update(ResourceItem, ["position", *ITEM_TUPLE_FIELDS], item_updates)
    if progress:
        progress(total, total, "write")
    _insert(ResourceItem, ITEM_COLUMNS_WRITTEN, item_inserts)

    identifiers = {e.pk: e.identifier for e in index.elements}
    changes: list[audit.Change] = []
    for step in creates + updates:
        dept = step.res.department
        assert dept is not None and step.resource_id is not None
        ex = step.existing
        changes.append(
            audit.Change(
                action="catalog.resource.update" if ex else "catalog.resource.register",
                jurisdiction=dept.jurisdiction_id,
                object_type="catalog.resource",
                object_id=str(step.resource_id),
                object_repr=f"{step.new_values['name']}（{step.code}）",
                before=_snapshot(ex.values, step.code, dept, ex.items, identifiers) if ex else None,
                after=_snapshot(step.new_values, step.code, dept, step.new_items, identifiers),
            )
        )
    audit.record_many(actor=actor, changes=changes)
    del changes
    warnings = _claims(actor, creates + updates)
    search.index_resources([s.resource_id for s in creates + updates if s.resource_id is not None])
    return warnings


def _claims(actor: Actor, steps: list[_Step]) -> list[str]:
    """是否权威来源=是 with a referenced element: 一数一源 claims (conflicts go to the authority)."""
    pairs: dict[tuple[int, int], Department] = {}
    for step in steps:
        dept = step.res.department
        assert dept is not None
        for item, element in zip(step.res.data.items, step.res.elements, strict=True):
            if item.is_authoritative and element is not None and element.authority_id != dept.pk:
                pairs.setdefault((dept.pk, element.pk), dept)
    if not pairs:
        return []
    locked = {e.pk: e for e in DataElement.objects.select_for_update().filter(pk__in={p[1] for p in pairs})}
    warnings = []
    for (_, element_id), dept in sorted(pairs.items()):
        element = locked[element_id]
        conflict: ElementConflict | None = services.claim_authority(
            actor=actor, department=dept, element=element
        )
        if conflict is not None:
            warnings.append(
                f"“{dept.name}”声明为数据元“{element.name}”的权威来源，与现有权威来源冲突，已提交平台管理员处理（CAT-2 一数一源，依据：{source_of('CAT-2')}）。"
            )
    return warnings


# --- the service ----------------------------------------------------------------------------------


def _report(steps: list[_Step], parsed: ParsedWorkbook, dry_run: bool, errors: _Errors) -> ImportReport:
    """Errors sorted by sheet and row, and the plan for the rows that passed (what was or would be done)."""
    report = ImportReport(
        errors=sorted(errors.items, key=ImportRowError.sort_key), dry_run=dry_run, items=len(parsed.items)
    )
    for step in steps:
        dept = step.res.department
        assert dept is not None
        if step.action not in ("create", "update", "unchanged"):
            continue
        report.changes.append(
            PlannedChange(
                step.res.row,
                step.action,
                step.res.data.name.strip(),
                dept.uscc,
                step.code,
                step.resource_id,
                len(step.new_items),
            )
        )
        if step.action == "create":
            report.created += 1
        elif step.action == "update":
            report.updated += 1
        else:
            report.unchanged += 1
        if step.action != "unchanged" and step.resource_id is not None and report.written:
            report.resource_ids.append(step.resource_id)
    return report


def catalog_import(
    *, actor: Actor, file: IO[bytes] | str | Path, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Import a filled-in catalog template. Returns the report; never raises on a bad file.

    Nothing is written when the report has errors or ``dry_run`` is set (the report then lists what would
    be created and updated). ``file`` is a path or a binary file object (an upload)."""
    with _gc_paused():
        return _import(actor, file, dry_run, progress)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large workbook is in memory.

    The import allocates millions of small acyclic objects (rows, tuples, strings); with the collector on,
    its full collections walk that growing heap again and again, which costs about a third of the CPU time
    of a 100,000-item import. Reference counting still frees everything; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import(
    actor: Actor, file: IO[bytes] | str | Path, dry_run: bool, progress: Progress | None
) -> ImportReport:
    parsed = parse_workbook(file, progress)
    errors = _Errors()
    errors.items = parsed.errors
    if parsed.fatal:
        return ImportReport(errors=sorted(errors.items, key=ImportRowError.sort_key), dry_run=dry_run)
    if not parsed.resources:
        errors.add(RESOURCE_SHEET, 2, None, "import.empty")
        return ImportReport(
            errors=sorted(errors.items, key=ImportRowError.sort_key), dry_run=dry_run, items=len(parsed.items)
        )
    failed_rows = {e.row for e in parsed.errors if e.sheet == RESOURCE_SHEET}
    _attach_items(parsed, errors)
    for res in parsed.resources:
        if res.row in failed_rows or any(i.bad for i in res.item_rows):
            res.failed = True
    index = ElementIndex()
    _check_rows(parsed, errors, index)
    _check_providers(actor, parsed, errors)

    if errors.items or dry_run:
        return _report(_plan(parsed, errors, progress), parsed, dry_run, errors)
    try:
        with transaction.atomic():
            steps = _plan(parsed, errors, progress)
            if errors.items:
                return _report(steps, parsed, dry_run, errors)
            warnings = _apply(actor, steps, parsed, index, progress)
    except IntegrityError:  # someone registered the same name or code meanwhile: nothing was written
        errors.add(FILE_SHEET, 1, None, "import.conflict")
        return _report([], parsed, dry_run, errors)
    except _Stale as stale:
        errors.add(FILE_SHEET, 1, None, "import.changed", name=stale.name, count=stale.count)
        return _report([], parsed, dry_run, errors)
    report = _report(steps, parsed, dry_run, errors)
    report.warnings = warnings
    return report
