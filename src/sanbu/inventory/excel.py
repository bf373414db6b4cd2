"""Inventory Excel import and export: the department's own template, sheet ``信息系统``, one row per system.

- ``inventory_import(*, actor, file, dry_run=False) -> InventoryImportReport``: every row is read and
  checked first; any error gives ``信息系统!<row> <column>：message`` lines and writes nothing.
- ``inventory_export(*, actor, department_id, stream) -> int``: the department's systems in the same
  template, so an export imported again changes nothing.

A row is matched to an existing system by department (统一社会信用代码) and name: it updates it, or
creates a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import openpyxl
from django.db import transaction
from openpyxl.worksheet.datavalidation import DataValidation

from sanbu.catalog.importing import ImportRowError
from sanbu.catalog.sheet import CellValueError, normalize_header, parse_bool, parse_date, text_of
from sanbu.core.actor import Actor
from sanbu.core.errors import FieldError, NotFound
from sanbu.orgs.models import Department

from . import services
from .models import MANAGE, VIEW, DengbaoLevel, InformationSystem, MipinStatus, Network, SystemStatus
from .services import SystemData

SHEET = "信息系统"
CODE_SPLIT = re.compile(r"[\s,，;；、]+")


@dataclass(frozen=True)
class Col:
    letter: str
    header: str
    field: str
    required: bool = False
    labels: tuple[str, ...] = ()  # a dropdown: the allowed labels

    @property
    def title(self) -> str:
        return f"{self.header}*" if self.required else self.header


YES_NO = ("是", "否")
COLUMNS: tuple[Col, ...] = (
    Col("A", "信息系统名称", "name", True),
    Col("B", "所属部门", "department_name"),
    Col("C", "部门统一社会信用代码", "uscc", True),
    Col("D", "系统用途", "purpose"),
    Col("E", "系统状态", "status", True, tuple(SystemStatus.labels)),
    Col("F", "部署网络", "network", True, tuple(Network.labels)),
    Col("G", "是否部署在政务云", "on_gov_cloud", True, YES_NO),
    Col("H", "等保级别", "dengbao_level", True, tuple(DengbaoLevel.labels)),
    Col("I", "等保测评日期", "dengbao_test_date"),
    Col("J", "密评情况", "mipin_status", True, tuple(MipinStatus.labels)),
    Col("K", "是否使用安全可靠产品", "xinchuang", True, YES_NO),
    Col("L", "安全可靠产品说明", "xinchuang_note"),
    Col("M", "建设项目", "built_by_project"),
    Col("N", "提供的目录资源代码", "provides"),
)
BY_FIELD = {c.field: c for c in COLUMNS}
LEVEL_ALIASES = {
    "0": 0,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 5,
    "一级": 1,
    "二级": 2,
    "三级": 3,
    "四级": 4,
    "五级": 5,
}


@dataclass(frozen=True)
class InventoryRowChange:
    """What one good row does: ``create``, ``update`` or ``unchanged`` (shown before confirming)."""

    row: int
    department: str
    name: str
    action: str


@dataclass
class InventoryImportReport:
    errors: list[ImportRowError] = field(default_factory=list)
    changes: list[InventoryRowChange] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    system_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        return [e.line() for e in self.errors]

    def summary(self) -> str:
        verb = "将" if self.dry_run else ""
        return f"{verb}新建 {self.created}、{verb}更新 {self.updated}、未变 {self.unchanged}"


@dataclass
class _Row:
    number: int
    dept: Department
    data: SystemData
    existing: InformationSystem | None


def _choice(text: str, choices: Any) -> Any:
    for value, label in choices.choices:
        if text in (str(label), str(value)):
            return value
    raise CellValueError(
        "import.cell.choice", f"“{text}”不是可选值，请从下拉列表中选择：{'、'.join(choices.labels)}。"
    )


def _level(value: Any) -> int:
    text = text_of(value).replace(" ", "")
    if text in LEVEL_ALIASES:
        return LEVEL_ALIASES[text]
    return int(_choice(text, DengbaoLevel))


def _error(row: int, col: Col | None, code: str, message: str) -> ImportRowError:
    return ImportRowError(SHEET, row, col.header if col else "", code, message, col.letter if col else "")


def _field_error(row: int, e: FieldError) -> ImportRowError:
    col = BY_FIELD.get(e.field)
    return _error(row, col, f"import.{e.code}", e.message)


def _read_rows(file: IO[bytes] | Path) -> tuple[list[tuple[int, dict[str, Any]]], list[ImportRowError]]:
    try:
        wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception:  # any unreadable file is one error, never a crash
        return [], [
            _error(
                1,
                None,
                "import.file.unreadable",
                "文件不是可读取的 .xlsx 工作簿，请用本模板另存为 .xlsx 后重试。",
            )
        ]
    if SHEET not in wb.sheetnames:
        return [], [
            _error(1, None, "import.file.no_sheet", f"找不到工作表“{SHEET}”，请使用信息系统清单模板。")
        ]
    rows = list(wb[SHEET].iter_rows(values_only=True))
    wb.close()
    header = [normalize_header(v) for v in (rows[0] if rows else ())]
    positions: dict[str, int] = {}
    errors: list[ImportRowError] = []
    for col in COLUMNS:
        if col.header in header:
            positions[col.field] = header.index(col.header)
        elif col.required:
            errors.append(
                _error(1, col, "import.header.missing", f"缺少列“{col.title}”，请使用信息系统清单模板。")
            )
    out: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(rows[1:], start=2):
        if all(text_of(v) == "" for v in values):
            continue
        cells = {f: (values[i] if i < len(values) else None) for f, i in positions.items()}
        out.append((number, cells))
    return out, errors


def _parse(
    number: int, cells: dict[str, Any], actor: Actor, depts: dict[str, Department], codes: dict[str, int]
) -> tuple[_Row | None, list[ImportRowError]]:
    errors: list[ImportRowError] = []
    values: dict[str, Any] = {}

    def cell(name: str) -> Any:
        return cells.get(name)

    for col in COLUMNS:
        raw = cell(col.field)
        text = text_of(raw)
        if col.required and not text:
            errors.append(_error(number, col, "import.cell.required", f"请填写{col.header}。"))
            continue
        try:
            if col.field in ("status", "network", "mipin_status"):
                choices = {"status": SystemStatus, "network": Network, "mipin_status": MipinStatus}[col.field]
                values[col.field] = _choice(text, choices)
            elif col.field in ("on_gov_cloud", "xinchuang"):
                values[col.field] = bool(parse_bool(raw))
            elif col.field == "dengbao_level":
                values[col.field] = _level(raw)
            elif col.field == "dengbao_test_date":
                values[col.field] = parse_date(raw)
            elif col.field == "provides":
                wanted = [c for c in CODE_SPLIT.split(text) if c]
                unknown = [c for c in wanted if c not in codes]
                if unknown:
                    raise CellValueError(
                        "import.resource.unknown", f"目录中没有代码为 {'、'.join(unknown)} 的资源。"
                    )
                values[col.field] = tuple(codes[c] for c in wanted)
            else:
                values[col.field] = text
        except CellValueError as exc:
            errors.append(_error(number, col, exc.code, exc.message))
    uscc = text_of(cell("uscc"))
    dept = depts.get(uscc)
    if uscc and dept is None:
        errors.append(
            _error(
                number,
                BY_FIELD["uscc"],
                "import.department.unknown",
                f"{uscc} 不是已登记部门的统一社会信用代码。",
            )
        )
    elif dept is not None and not actor.can(MANAGE, dept.scope()):
        errors.append(
            _error(number, BY_FIELD["uscc"], "import.forbidden", f"您无权为{dept.name}登记信息系统。")
        )
        return None, errors
    if errors or dept is None:
        return None, errors
    values.pop("uscc", None)
    values.pop("department_name", None)
    data = SystemData(**values).cleaned()
    existing = InformationSystem.objects.filter(department=dept, name=data.name).first()
    problems = services.validate(data, dept, exclude_pk=existing.pk if existing else None)
    errors.extend(_field_error(number, p) for p in problems)
    return (None if errors else _Row(number, dept, data, existing)), errors


def inventory_import(*, actor: Actor, file: IO[bytes] | Path, dry_run: bool = False) -> InventoryImportReport:
    """Check every row, then write all of them in one transaction, or nothing if any row has an error."""
    report = InventoryImportReport(dry_run=dry_run)
    raw_rows, report.errors = _read_rows(file)
    if report.errors:
        return report
    usccs = {text_of(cells.get("uscc")) for _, cells in raw_rows}
    depts = {d.uscc: d for d in Department.objects.filter(uscc__in=usccs)}
    wanted = {c for _, cells in raw_rows for c in CODE_SPLIT.split(text_of(cells.get("provides"))) if c}
    codes = services.resource_ids_by_code(wanted)
    parsed: list[_Row] = []
    seen: dict[tuple[int, str], int] = {}
    for number, cells in raw_rows:
        row, errors = _parse(number, cells, actor, depts, codes)
        report.errors.extend(errors)
        if row is None:
            continue
        key = (row.dept.pk, row.data.name)
        if key in seen:
            report.errors.append(_error(
                number, BY_FIELD["name"], "import.name.repeated",
                f"与第 {seen[key]} 行重复：同一部门的信息系统名称不能重复。",
            ))  # fmt: skip
            continue
        seen[key] = number
        parsed.append(row)
    if not raw_rows and not report.errors:
        report.errors.append(_error(2, None, "import.file.empty", "工作表“信息系统”中没有数据行。"))
    if report.errors:
        report.errors.sort(key=lambda e: (e.row, e.letter))
        return report
    for row in parsed:
        if row.existing is None:
            report.created += 1
            action = "create"
        elif services.differs(row.existing, row.data):
            report.updated += 1
            action = "update"
        else:
            report.unchanged += 1
            action = "unchanged"
        report.changes.append(InventoryRowChange(row.number, row.dept.name, row.data.name, action))
    if dry_run:
        return report
    with transaction.atomic():
        for row in parsed:
            if row.existing is None:
                system = services.create(actor, row.dept, row.data)
            else:
                locked = InformationSystem.objects.select_for_update().get(pk=row.existing.pk)
                system = services.change(actor, locked, row.data)
            report.system_ids.append(system.pk)
    return report


def template_workbook() -> openpyxl.Workbook:
    """An empty template: headers (required ones marked *) and dropdowns for the choice columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.append([c.title for c in COLUMNS])
    ws.freeze_panes = "A2"
    for col in COLUMNS:
        ws.column_dimensions[col.letter].width = max(12, len(col.title) * 2 + 2)
        if col.labels:
            dv = DataValidation(
                type="list", formula1=f'"{",".join(col.labels)}"', allow_blank=not col.required
            )
            dv.add(f"{col.letter}2:{col.letter}5000")
            ws.add_data_validation(dv)
    return wb


def _cells(system: InformationSystem) -> list[Any]:
    codes = sorted(r.code for r in system.provides.all())
    values: dict[str, Any] = {
        "name": system.name,
        "department_name": system.department.name,
        "uscc": system.department.uscc,
        "purpose": system.purpose,
        "status": SystemStatus(system.status).label,
        "network": Network(system.network).label,
        "on_gov_cloud": "是" if system.on_gov_cloud else "否",
        "dengbao_level": DengbaoLevel(system.dengbao_level).label,
        "dengbao_test_date": system.dengbao_test_date.isoformat() if system.dengbao_test_date else "",
        "mipin_status": MipinStatus(system.mipin_status).label,
        "xinchuang": "是" if system.xinchuang else "否",
        "xinchuang_note": system.xinchuang_note,
        "built_by_project": system.built_by_project,
        "provides": "；".join(codes),
    }
    return [values[c.field] for c in COLUMNS]


def inventory_export(*, actor: Actor, department_id: int, stream: IO[bytes]) -> int:
    """Write the department's systems in the template; returns how many."""
    dept = Department.objects.filter(pk=department_id).first()
    if dept is None or not actor.can(VIEW, dept.scope()):
        raise NotFound("orgs.department.not_found", "部门不存在或您无权导出其信息系统清单。")
    wb = template_workbook()
    ws = wb[SHEET]
    systems = (
        InformationSystem.objects.filter(department=dept)
        .select_related("department")
        .prefetch_related("provides")
        .order_by("name", "id")
    )
    n = 0
    for system in systems:
        ws.append(_cells(system))
        n += 1
    wb.save(stream)
    return n
