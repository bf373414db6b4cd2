"""The catalog template's columns, and how one cell is read and written.

Pure functions (no database): the import parses cells with ``parse_*`` and the export writes them with
``format_*``, so what is exported is exactly what the import reads back. Choice cells take the template's
dictionary label (``有条件共享``, ``C 字符型``), the bare model value (``C``, ``conditional``) or a known alias
(``不定期``, ``一般``); blanks and spaces around are forgiven.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import models

from .models import (
    CatalogClass,
    DataGrade,
    DataType,
    Masking,
    ResourceFormat,
    Secrecy,
    ShareMethod,
    ShareType,
    UpdateCycle,
)

TEMPLATE_PATH = Path(__file__).resolve().parent / "data" / "catalog_template.xlsx"
RESOURCE_SHEET = "资源"
ITEM_SHEET = "信息项"
FILE_SHEET = "文件"  # where errors about the file as a whole are reported

Choices = type[models.TextChoices]

# Values the template's 字典 sheet (or common usage) spells differently from the model's label.
ALIASES: dict[Choices, dict[str, str]] = {
    UpdateCycle: {"不定期": UpdateCycle.OTHER},
    DataGrade: {"一般": DataGrade.GENERAL, "重要": DataGrade.IMPORTANT, "核心": DataGrade.CORE},
    CatalogClass: {"基础": CatalogClass.BASE, "主题": CatalogClass.THEME, "部门": CatalogClass.DEPARTMENT},
    Secrecy: {"不涉密": Secrecy.NON_SECRET},
    Masking: {"无": Masking.NONE, "不需脱敏": Masking.NONE},
}
# The label written on export when the template's dropdown spells it differently from the model.
EXPORT_LABELS: dict[Choices, dict[str, str]] = {UpdateCycle: {UpdateCycle.OTHER: "不定期"}}

TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "t"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "f"}
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_SPACE_RE = re.compile(r"\s+")


class CellValueError(ValueError):
    """A cell that cannot be read as its column's type; ``code`` is stable, ``message`` Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Column:
    letter: str
    header: str  # without the required mark
    field: str  # attribute of ResourceInput / ItemInput, or a provider column
    kind: str = "text"  # text, choice, bool, date, int
    required: bool = False
    choices: Choices | None = None
    max_length: int | None = None

    @property
    def title(self) -> str:
        """The header exactly as the template spells it."""
        return f"{self.header}*" if self.required else self.header


RESOURCE_COLUMNS: tuple[Column, ...] = (
    Column("A", "信息资源名称", "name", required=True, max_length=50),
    Column("B", "信息资源代码", "code", max_length=64),
    Column("C", "资源分类", "catalog_class", "choice", True, CatalogClass),
    Column("D", "资源子类", "subclass", required=True, max_length=40),
    Column("E", "信息资源提供方", "provider_name", required=True, max_length=100),
    Column("F", "提供方代码", "provider_uscc", required=True),
    Column("G", "信息资源摘要", "summary", required=True, max_length=256),
    Column("H", "资源格式", "format", "choice", True, ResourceFormat),
    Column("I", "共享类型", "share_type", "choice", True, ShareType),
    Column("J", "共享条件", "share_condition", max_length=300),
    Column("K", "不予共享依据", "no_share_basis", max_length=300),
    Column("L", "共享方式", "share_method", "choice", True, ShareMethod),
    Column("M", "是否向社会开放", "open_to_public", "bool", True),
    Column("N", "开放条件", "open_condition", max_length=300),
    Column("O", "更新周期", "update_cycle", "choice", True, UpdateCycle),
    Column("P", "发布日期", "release_date", "date"),
    Column("Q", "涉密属性", "secrecy", "choice", True, Secrecy),
    Column("R", "数据级别", "data_grade", "choice", True, DataGrade),
    Column("S", "来源信息系统", "source_system", max_length=100),
    Column("T", "关联资源代码", "related_codes", max_length=500),
)

ITEM_COLUMNS: tuple[Column, ...] = (
    Column("A", "信息资源名称", "resource_name", required=True, max_length=50),
    Column("B", "信息项名称", "name", required=True, max_length=64),
    Column("C", "引用数据元", "element", max_length=64),
    Column("D", "数据类型", "data_type", "choice", True, DataType),
    Column("E", "数据长度", "length", "int"),
    Column("F", "是否主键", "is_key", "bool"),
    Column("G", "是否权威来源", "is_authoritative", "bool"),
    Column("H", "共享类型", "share_type", "choice", False, ShareType),
    Column("I", "共享条件", "share_condition", max_length=300),
    Column("J", "脱敏方式", "masking", "choice", False, Masking),
)

RESOURCE_BY_FIELD = {c.field: c for c in RESOURCE_COLUMNS}
ITEM_BY_FIELD = {c.field: c for c in ITEM_COLUMNS}


def normalize_header(value: Any) -> str:
    return _SPACE_RE.sub("", text_of(value)).rstrip("*＊")


# --- reading cells --------------------------------------------------------------------------------


def text_of(value: Any) -> str:
    """Any cell value as trimmed text (whole numbers without ``.0``, dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _key(text: str) -> str:
    return _SPACE_RE.sub("", text).casefold()


_LOOKUPS: dict[Choices, dict[str, str]] = {}


def _lookup(choices: Choices) -> dict[str, str]:
    table = _LOOKUPS.get(choices)
    if table is None:
        table = {}
        for alias, value in ALIASES.get(choices, {}).items():
            table[_key(alias)] = str(value)
        for value, label in choices.choices:
            table[_key(str(value))] = str(value)
            table[_key(str(label))] = str(value)
        _LOOKUPS[choices] = table
    return table


def choice_labels(choices: Choices) -> list[str]:
    """The labels a user may pick, as the template's dropdown spells them."""
    overrides = EXPORT_LABELS.get(choices, {})
    return [overrides.get(str(v), str(lbl)) for v, lbl in choices.choices]


def parse_choice(value: Any, choices: Choices) -> str | None:
    """Label, bare value or alias → the model value; None for a blank cell.

    Raises CellValueError naming the allowed labels when the text is none of them."""
    text = text_of(value)
    if not text:
        return None
    found = _lookup(choices).get(_key(text))
    if found is None:
        raise CellValueError(
            "import.cell.choice",
            f"“{text}”不是可选值，请从下拉列表中选择：{'、'.join(choice_labels(choices))}。",
        )
    return found


def parse_bool(value: Any) -> bool | None:
    """是/否 (also true/false, 1/0, Y/N) → bool; None for a blank cell."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = text_of(value)
    if not text:
        return None
    word = text.casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellValueError("import.cell.bool", f"“{text}”不是有效值，请填写“是”或“否”。")


def parse_date(value: Any) -> date | None:
    """A date cell, or text YYYY-MM-DD (also YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日); None when blank."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = text_of(value)
    if not text:
        return None
    m = DATE_RE.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise CellValueError("import.cell.date", f"“{text}”不是有效日期，请按 YYYY-MM-DD 填写，如 2024-03-01。")


def parse_int(value: Any) -> int | None:
    """A whole number (``18``, ``18.0``, ``"18"``); None when blank."""
    if isinstance(value, bool):
        raise CellValueError("import.cell.int", "应填写正整数，如 18。")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = text_of(value)
    if not text:
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    raise CellValueError("import.cell.int", f"“{text}”不是整数，请填写正整数，如 18。")


# --- writing cells --------------------------------------------------------------------------------


def format_choice(value: str, choices: Choices) -> str:
    if not value:
        return ""
    override = EXPORT_LABELS.get(choices, {}).get(value)
    if override:
        return override
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def format_bool(value: bool) -> str:
    return "是" if value else "否"


def format_date(value: date | None) -> str:
    return value.isoformat() if value else ""
