"""Builders for page and browser tests: filled-in catalog workbooks and mount files."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import load_workbook

from sanbu.catalog.excel import TEMPLATE_PATH
from sanbu.catalog.sheet import ITEM_COLUMNS, ITEM_SHEET, RESOURCE_COLUMNS, RESOURCE_SHEET
from sanbu.core.identifiers import make_citizen_id


def resource_row(dept: Any, name: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "name": name,
        "catalog_class": "部门信息资源",
        "subclass": "人口",
        "provider_name": dept.name,
        "provider_uscc": dept.uscc,
        "summary": f"{name}，含公民身份号码、姓名、居住地址和登记日期，供社区治理与公共服务使用。",
        "format": "数据库",
        "share_type": "有条件共享",
        "share_condition": "仅限办理居住证、社区服务业务的部门使用",
        "share_method": "共享平台-接口",
        "open_to_public": "否",
        "update_cycle": "每日",
        "secrecy": "非涉密",
        "data_grade": "一般数据",
    }
    row.update(overrides)
    return row


def person_items(resource_name: str) -> list[dict[str, Any]]:
    return [
        {"resource_name": resource_name, "name": "公民身份号码", "element": "公民身份号码", "data_type": "C 字符型",
         "length": 18, "is_key": "是", "masking": "身份证号"},
        {"resource_name": resource_name, "name": "姓名", "element": "姓名", "data_type": "C 字符型", "length": 50,
         "masking": "姓名"},
        {"resource_name": resource_name, "name": "居住地址", "element": "现住址", "data_type": "C 字符型", "length": 200},
        {"resource_name": resource_name, "name": "登记日期", "data_type": "D 日期型"},
    ]  # fmt: skip


def workbook_bytes(resources: list[dict[str, Any]], items: list[dict[str, Any]]) -> bytes:
    """The platform template with these rows filled in (header = row 1, data from row 2)."""
    wb = load_workbook(TEMPLATE_PATH)
    ws = wb[RESOURCE_SHEET]
    for r in resources:
        ws.append([r.get(c.field, "") for c in RESOURCE_COLUMNS])
    wi = wb[ITEM_SHEET]
    for i in items:
        wi.append([i.get(c.field, "") for c in ITEM_COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def person_rows_csv(count: int = 5, *, bad_row: int | None = None) -> bytes:
    """Valid synthetic records (check digits computed); ``bad_row`` (0-based) gets a wrong check digit."""
    lines = ["公民身份号码,姓名,居住地址,登记日期"]
    surnames = "张王李赵刘陈杨黄周吴"
    for n in range(count):
        cid = make_citizen_id("370303", date(1980 + n % 20, 1 + n % 12, 1 + n % 28), 100 + n)
        if bad_row is not None and n == bad_row:
            cid = cid[:-1] + ("0" if cid[-1] != "0" else "1")
        lines.append(
            f"{cid},{surnames[n % 10]}{'伟芳敏静丽强磊军洋勇'[n % 10]},淄博市张店区人民西路{n + 1}号,2024-0{1 + n % 9}-15"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")
