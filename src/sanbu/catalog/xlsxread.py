"""A small, fast, streaming reader of .xlsx cell values (the catalog import's hot path).

openpyxl's read-only mode builds several Python objects per cell and, on files written by openpyxl
itself (no ``<dimension>``), scans every sheet once more just to size it: about 10 s for a 10,000-resource
/ 100,000-item catalog. This reader streams each sheet's XML once with ElementTree's C parser and turns
a finished ``<row>`` into a tuple of plain values (str, int, float, bool, datetime, None), which is all the
import needs. It follows the package's relationships (not fixed paths), reads shared and inline strings,
the 1900/1904 date systems, and treats a number as a date when its cell style's number format is one
(built-in date formats, the Chinese locale's 27–36 and 50–58, or any custom format with date letters).
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAIN_NS = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
CJK_DATE_FORMATS = set(range(27, 37)) | set(range(50, 59))
_LETTERS = re.compile(r"[A-Z]+")


class XlsxError(Exception):
    """The package is not a readable .xlsx workbook."""


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def column_index(letters: str) -> int:
    """``A`` → 0, ``Z`` → 25, ``AA`` → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


class XlsxReader:
    def __init__(self, file: IO[bytes] | str) -> None:
        try:
            self.zip = zipfile.ZipFile(file)
            self._sheets = self._read_workbook()
        except (zipfile.BadZipFile, KeyError, ET.ParseError, ValueError, OSError) as exc:
            raise XlsxError(type(exc).__name__) from exc
        self._shared: list[str] | None = None

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- package parts ----------------------------------------------------------------------------

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, target path inside the package) for a part."""
        folder, name = posixpath.split(part)
        rels_path = posixpath.join(folder, "_rels", f"{name}.rels")
        if rels_path not in self.zip.NameToInfo:
            return {}
        out = {}
        for rel in ET.fromstring(self.zip.read(rels_path)).iter(PKG_REL):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            out[rel.get("Id", "")] = (rel.get("Type", ""), path)
        return out

    def _read_workbook(self) -> dict[str, str]:
        office = [p for t, p in self._rels("").values() if t.endswith("/officeDocument")]
        self.workbook_path = office[0] if office else "xl/workbook.xml"
        root = ET.fromstring(self.zip.read(self.workbook_path))
        ns = _ns(root.tag)
        rels = self._rels(self.workbook_path)
        self.date1904 = False
        pr = root.find(f"{{{ns}}}workbookPr")
        if pr is not None and pr.get("date1904", "").lower() in ("1", "true"):
            self.date1904 = True
        sheets: dict[str, str] = {}
        for sheet in root.iter(f"{{{ns}}}sheet"):
            rid = next((sheet.get(f"{{{r}}}id") for r in REL_NS if sheet.get(f"{{{r}}}id")), None)
            if rid and rid in rels:
                sheets[sheet.get("name", "")] = rels[rid][1]
        self._parts = {t.rsplit("/", 1)[-1]: p for t, p in rels.values()}
        self._date_styles = self._read_styles()
        return sheets

    @property
    def sheetnames(self) -> list[str]:
        return list(self._sheets)

    def _read_styles(self) -> frozenset[str]:
        """Indexes (as strings, like the ``s`` attribute) of cell styles whose number format is a date."""
        path = self._parts.get("styles")
        if not path or path not in self.zip.NameToInfo:
            return frozenset()
        root = ET.fromstring(self.zip.read(path))
        ns = _ns(root.tag)
        custom = {int(f.get("numFmtId", "-1")): f.get("formatCode", "") for f in root.iter(f"{{{ns}}}numFmt")}
        dates = set()
        xfs = root.find(f"{{{ns}}}cellXfs")
        for i, xf in enumerate(xfs if xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id)
            if fmt_id in CJK_DATE_FORMATS or (code and is_date_format(code)):
                dates.add(str(i))
        return frozenset(dates)

    def _shared_strings(self) -> list[str]:
        if self._shared is None:
            self._shared = []
            path = self._parts.get("sharedStrings")
            if path and path in self.zip.NameToInfo:
                with self.zip.open(path) as fh:
                    si_tag = t_tag = r_tag = ""
                    for event, el in ET.iterparse(fh, events=("start", "end")):
                        if event == "start":
                            if not si_tag:
                                ns = _ns(el.tag)
                                si_tag, t_tag, r_tag = f"{{{ns}}}si", f"{{{ns}}}t", f"{{{ns}}}r"
                            continue
                        if el.tag == si_tag:
                            self._shared.append(_rich_text(el, t_tag, r_tag))
                            el.clear()
        return self._shared

    # --- rows -------------------------------------------------------------------------------------

    def dimension_rows(self, sheet: str) -> int | None:
        """The last row the sheet's ``<dimension>`` declares (None when absent), without reading rows."""
        with self.zip.open(self._sheets[sheet]) as fh:
            for _event, el in ET.iterparse(fh, events=("start",)):
                name = el.tag.rsplit("}", 1)[-1]
                if name == "dimension":
                    m = re.search(r"(\d+)$", el.get("ref", ""))
                    return int(m.group(1)) if m else None
                if name == "sheetData":
                    return None
        return None

    def iter_rows(self, sheet: str, max_col: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(Excel row number, values of columns A.. up to ``max_col``) for every row present."""
        shared = self._shared_strings()
        dates = self._date_styles
        epoch = CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
        letters_cache: dict[str, int] = {}
        with self.zip.open(self._sheets[sheet]) as fh:
            # "end" events only (half the events of start+end): finished rows are cleared, and their empty
            # shells (a few MB for 100,000 rows) are left to the tree.
            row_tag = c_tag = v_tag = is_tag = t_tag = r_tag = ""
            number = 0
            for _event, el in ET.iterparse(fh, events=("end",)):
                if el.tag != row_tag:
                    if not row_tag:
                        ns = _ns(el.tag)
                        row_tag, c_tag, v_tag = f"{{{ns}}}row", f"{{{ns}}}c", f"{{{ns}}}v"
                        is_tag, t_tag, r_tag = f"{{{ns}}}is", f"{{{ns}}}t", f"{{{ns}}}r"
                        if el.tag != row_tag:
                            continue
                    else:
                        continue
                r = el.get("r")
                number = int(r) if r else number + 1
                values: list[Any] = [None] * max_col
                col = -1
                for c in el:
                    if c.tag != c_tag:
                        continue
                    ref = c.get("r")
                    if ref:
                        m = _LETTERS.match(ref)
                        letters = m.group(0) if m else ""
                        idx = letters_cache.get(letters)
                        if idx is None:
                            idx = letters_cache[letters] = column_index(letters)
                        col = idx
                    else:
                        col += 1
                    if col >= max_col:
                        continue
                    kind = c.get("t")
                    if kind == "s":
                        v = c.findtext(v_tag)
                        values[col] = shared[int(v)] if v else None
                    elif kind == "inlineStr":
                        node = c.find(is_tag)
                        if node is None:
                            continue
                        first = node[0] if len(node) == 1 else None
                        values[col] = (
                            (first.text or "")
                            if first is not None and first.tag == t_tag
                            else _rich_text(node, t_tag, r_tag)
                        )
                    elif kind == "b":
                        v = c.findtext(v_tag)
                        values[col] = None if v is None else v.strip() in ("1", "true")
                    elif kind in ("str", "e"):
                        values[col] = c.findtext(v_tag)
                    elif kind == "d":
                        v = c.findtext(v_tag)
                        values[col] = datetime.fromisoformat(v) if v else None
                    else:
                        v = c.findtext(v_tag)
                        if v is None or not v.strip():
                            continue
                        num: int | float = int(v) if v.isdigit() else float(v)
                        values[col] = from_excel(num, epoch) if c.get("s") in dates else num
                yield number, tuple(values)
                el.clear()


def _rich_text(node: ET.Element, t_tag: str, r_tag: str) -> str:
    """Text of ``<si>``/``<is>``: plain ``<t>`` or the runs ``<r><t>``; phonetic ``<rPh>`` left out."""
    parts = []
    for child in node:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:
            t = child.find(t_tag)
            if t is not None:
                parts.append(t.text or "")
    return "".join(parts)
