"""Resource codes (信息资源代码): 分类码 = 类(1) + 项(2) + 目(3) + 细目(variable), then ``/`` and a 顺序码.

Given codes are validated (shape, 类 matching the chosen catalog, 项 matching a known subclass of the
基础/主题 catalogs). Blank codes are generated as ``类 + 项 + 目 000 + 细目 = the provider's GB/T 2260
division code`` with a 6-digit 顺序码 unique within that 分类码 (see docs/resource-codes.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE_RE = re.compile(r"^(?P<cls>[123])(?P<item>\d{2})(?P<cat>\d{3})(?P<detail>[0-9A-Z]*)/(?P<seq>\d{1,10})$")

BASE_SUBCLASSES = {
    "人口": "01",
    "法人单位": "02",
    "自然资源和空间地理": "03",
    "社会信用": "04",
    "电子证照": "05",
}
THEME_SUBCLASSES = {
    "公共服务": "01", "健康保障": "02", "社会保障": "03", "食品药品安全": "04", "安全生产": "05", "价格监管": "06",
    "能源安全": "07", "信用体系": "08", "城乡建设": "09", "社区治理": "10", "生态环保": "11", "应急维稳": "12",
}  # fmt: skip
SUBCLASSES = {"1": BASE_SUBCLASSES, "2": THEME_SUBCLASSES}
DEPARTMENT_ITEM = "00"


@dataclass(frozen=True)
class ParsedCode:
    catalog_class: str
    item: str
    category: str
    detail: str
    sequence: str

    @property
    def prefix(self) -> str:
        return f"{self.catalog_class}{self.item}{self.category}{self.detail}"


def parse(code: str) -> ParsedCode | None:
    m = CODE_RE.match(code.strip())
    if not m:
        return None
    return ParsedCode(m["cls"], m["item"], m["cat"], m["detail"], m["seq"])


def item_code(catalog_class: str, subclass: str) -> str | None:
    """The 项 code of a subclass; None when the 基础/主题 catalogs do not know it."""
    if catalog_class == "3":
        return DEPARTMENT_ITEM
    return SUBCLASSES.get(catalog_class, {}).get(subclass.strip())


def check(code: str, catalog_class: str, subclass: str) -> str | None:
    """Return a Chinese error message, or None when the code is acceptable for this resource."""
    parsed = parse(code)
    if parsed is None:
        return (
            f"信息资源代码“{code}”格式不正确：应为 类(1位)+项(2位)+目(3位)+细目/顺序码，"
            "如 3070211760000002004006/000033；留空则由平台生成。"
        )
    if parsed.catalog_class != catalog_class:
        return f"信息资源代码首位“{parsed.catalog_class}”与资源分类（应为 {catalog_class}）不一致。"
    expected = item_code(catalog_class, subclass)
    if catalog_class in SUBCLASSES and expected is not None and parsed.item != expected:
        return f"信息资源代码第 2–3 位“{parsed.item}”与资源子类“{subclass}”（应为 {expected}）不一致。"
    return None


def prefix_for(catalog_class: str, subclass: str, division: str) -> str:
    item = item_code(catalog_class, subclass) or "99"
    return f"{catalog_class}{item}000{division}"


def compose(prefix: str, sequence: int) -> str:
    return f"{prefix}/{sequence:06d}"
