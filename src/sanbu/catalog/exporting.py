"""Catalog export into the department template, so export → import is a round trip.

The workbook is streamed (openpyxl write-only) and rebuilt from the shipped template: its 说明 and 字典
sheets, header styles and comments, column widths, frozen header and dropdown validations (stretched to
cover every exported row). Values are written exactly as the import reads them back.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.worksheet import Worksheet

from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound
from sanbu.orgs.models import Department

from .elements import ElementIndex
from .importing import ITEM_TUPLE_FIELDS
from .models import Resource, ResourceItem
from .sheet import (
    ITEM_COLUMNS,
    ITEM_SHEET,
    RESOURCE_COLUMNS,
    RESOURCE_SHEET,
    TEMPLATE_PATH,
    Column,
    format_bool,
    format_choice,
)

DATE_FORMAT = "yyyy-mm-dd"
CHUNK = 2000


@dataclass(frozen=True)
class ExportResult:
    department: str
    resources: int
    items: int


def _styled(ws: Any, src: Any, value: Any = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=src.value if value is None else value)
    if src.has_style:
        cell.font = copy.copy(src.font)
        cell.fill = copy.copy(src.fill)
        cell.border = copy.copy(src.border)
        cell.alignment = copy.copy(src.alignment)
        cell.number_format = src.number_format
        cell.protection = copy.copy(src.protection)
    if src.comment is not None:
        comment = Comment(src.comment.text, src.comment.author)
        comment.width, comment.height = src.comment.width, src.comment.height
        cell.comment = comment
    return cell


def _setup_sheet(ws: Any, tpl: Worksheet, last_row: int) -> None:
    """Widths, frozen panes and validations from the template; validations stretched to ``last_row``."""
    for key, dim in tpl.column_dimensions.items():
        if dim.width:
            ws.column_dimensions[key].width = dim.width
    for key, rdim in tpl.row_dimensions.items():
        if rdim.height:
            ws.row_dimensions[key].height = rdim.height
    ws.freeze_panes = tpl.freeze_panes
    for dv in tpl.data_validations.dataValidation:
        new = copy.copy(dv)
        new.sqref = MultiCellRange(
            [
                CellRange(
                    min_col=r.min_col, min_row=r.min_row, max_col=r.max_col, max_row=max(r.max_row, last_row)
                )
                for r in dv.sqref.ranges
            ]
        )
        ws.data_validations.append(new)


def _copy_sheet(ws: Any, tpl: Worksheet) -> None:
    _setup_sheet(ws, tpl, 0)
    for row in tpl.iter_rows():
        ws.append([_styled(ws, c) for c in row])


def _resource_values(r: dict[str, Any], dept: Department) -> list[Any]:
    out: list[Any] = []
    for col in RESOURCE_COLUMNS:
        out.append(_cell_value(col, r, dept))
    return out


def _cell_value(col: Column, values: dict[str, Any], dept: Department | None = None) -> Any:
    if col.field == "provider_name":
        return dept.name if dept else ""
    if col.field == "provider_uscc":
        return dept.uscc if dept else ""
    value = values[col.field]
    if col.kind == "choice":
        assert col.choices is not None
        return format_choice(value or "", col.choices) or None
    if col.kind == "bool":
        return format_bool(bool(value))
    if value in ("", None):
        return None
    return value


def _items(resource_ids: list[int]) -> Iterator[dict[str, Any]]:
    fields = ["resource_id", *ITEM_TUPLE_FIELDS]
    for start in range(0, len(resource_ids), 500):
        chunk = resource_ids[start : start + 500]
        qs = (
            ResourceItem.objects.filter(resource_id__in=chunk)
            .order_by("resource_id", "position", "id")
            .values(*fields)
        )
        yield from qs.iterator(chunk_size=CHUNK)


def catalog_export(*, actor: Actor, department_id: int, stream: IO[bytes]) -> ExportResult:
    """Write the department's catalog (every resource the actor can see, in all states) to ``stream``."""
    dept = Department.objects.filter(pk=department_id).first()
    if dept is None or not actor.has_any_role:
        raise NotFound("orgs.department.not_found", "部门不存在或您无权导出其目录。")
    fields = ["id", *(c.field for c in RESOURCE_COLUMNS if not c.field.startswith("provider_"))]
    visible = Resource.objects.visible_to(actor).filter(department_id=dept.pk)
    resources = list(visible.order_by("id").values(*fields))
    names = {r["id"]: r["name"] for r in resources}
    order = [r["id"] for r in resources]
    item_count = ResourceItem.objects.filter(resource__in=visible).count()
    index = ElementIndex()
    element_refs: dict[int, str] = {}
    for e in index.elements:
        element_refs[e.pk] = e.name if index.find(e.name) is e else e.identifier

    template = openpyxl.load_workbook(TEMPLATE_PATH)
    out = openpyxl.Workbook(write_only=True)
    written_items = 0
    for tpl in template.worksheets:
        ws: Any = out.create_sheet(tpl.title)
        if tpl.title == RESOURCE_SHEET:
            _setup_sheet(ws, tpl, len(resources) + 1)
            ws.append([_styled(ws, c) for c in next(tpl.iter_rows(min_row=1, max_row=1))])
            date_col = next(i for i, c in enumerate(RESOURCE_COLUMNS) if c.kind == "date")
            for r in resources:
                row = _resource_values(r, dept)
                if row[date_col] is not None:
                    cell = WriteOnlyCell(ws, value=row[date_col])
                    cell.number_format = DATE_FORMAT
                    row[date_col] = cell
                ws.append(row)
        elif tpl.title == ITEM_SHEET:
            _setup_sheet(ws, tpl, item_count + 1)
            ws.append([_styled(ws, c) for c in next(tpl.iter_rows(min_row=1, max_row=1))])
            for item in _items(order):
                values = dict(item)
                values["resource_name"] = names[item["resource_id"]]
                values["element"] = element_refs.get(item["element_id"], "") if item["element_id"] else ""
                ws.append([_cell_value(col, values) for col in ITEM_COLUMNS])
                written_items += 1
        else:
            _copy_sheet(ws, tpl)
    out.save(stream)
    return ExportResult(department=dept.uscc, resources=len(resources), items=written_items)
