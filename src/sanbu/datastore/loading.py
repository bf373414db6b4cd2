"""Parsing and storing the rows that mount a resource (挂接).

Every row is checked against the resource's items: type, length, dates, and the check digits of
公民身份号码 and 统一社会信用代码 (by the element an item references, or by its name). Parsing streams the
file (openpyxl read-only, csv reader); nothing is stored unless every row passes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import connections, transaction

from sanbu.core import fieldcrypt
from sanbu.core.identifiers import check_citizen_id, check_uscc

from . import maskedview
from .models import DataRow

MAX_REPORTED_ERRORS = 500
ID_ELEMENTS = {"DE00001"}
USCC_ELEMENTS = {"DE00009"}
ID_NAMES = {"公民身份号码", "身份证号", "身份证号码", "居民身份证号码"}
USCC_NAMES = {"统一社会信用代码", "社会信用代码"}
TRUE_WORDS = {"是", "true", "1", "y", "yes", "t"}
FALSE_WORDS = {"否", "false", "0", "n", "no", "f"}


@dataclass(frozen=True)
class RowError:
    where: str  # "<sheet>!<row>" with Excel row numbers (header = row 1)
    column: str
    code: str
    message: str


@dataclass
class ParsedRows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0


def _element_id(item: Any) -> str | None:
    element = getattr(item, "element", None)
    return element.identifier if element is not None else None


def id_kind(item: Any) -> str | None:
    """'id' for a 公民身份号码 item, 'uscc' for a 统一社会信用代码 item, else None."""
    ident = _element_id(item)
    if ident in ID_ELEMENTS or item.name in ID_NAMES:
        return "id"
    if ident in USCC_ELEMENTS or item.name in USCC_NAMES:
        return "uscc"
    return None


def key_item(items: Sequence[Any]) -> Any | None:
    keys = [i for i in items if i.is_key]
    if keys:
        return keys[0]
    return next((i for i in items if id_kind(i)), None)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y%m%d%H%M%S"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def convert(item: Any, raw: Any) -> tuple[Any, str | None]:
    """Turn a cell into the stored JSON value, or give the Chinese reason it is not acceptable."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if item.is_key:
            return None, "主键信息项不能为空"
        return None, None
    dt = item.data_type
    if dt in {"C", "M", "G"} or id_kind(item):  # identifiers are text whatever the declared type
        text = (
            raw
            if isinstance(raw, str)
            else (str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw))
        )
        text = text.strip()
        kind = id_kind(item)
        if kind == "id":
            check = check_citizen_id(text)
            if not check.ok:
                return None, check.message
            text = check.value
        elif kind == "uscc":
            check = check_uscc(text)
            if not check.ok:
                return None, check.message
            text = check.value
        if item.length and dt == "C" and len(text) > item.length:
            return None, f"长度 {len(text)} 超过定义的 {item.length}"
        return text, None
    if dt in {"N", "Y", "B", "F"}:
        try:
            number = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation:
            return None, f"“{raw}”不是数值"
        if not number.is_finite():
            return None, f"“{raw}”不是有限数值"
        return (str(number) if dt == "Y" else float(number)), None
    if dt == "I":
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            return None, f"“{raw}”不是整数"
        if not number.is_finite() or number != number.to_integral_value():
            return None, f"“{raw}”不是整数"
        return int(number), None
    if dt == "D":
        d = _parse_date(raw)
        if d is None:
            return None, f"“{raw}”不是有效日期，请用 YYYY-MM-DD"
        return d.isoformat(), None
    if dt == "T":
        t = _parse_datetime(raw)
        if t is None:
            return None, f"“{raw}”不是有效的日期时间，请用 YYYY-MM-DD HH:MM:SS"
        return t.isoformat(sep=" "), None
    if dt == "L":
        word = str(raw).strip().lower()
        if isinstance(raw, bool):
            return raw, None
        if word in TRUE_WORDS:
            return True, None
        if word in FALSE_WORDS:
            return False, None
        return None, f"“{raw}”不是逻辑值，请填 是 或 否"
    return str(raw), None


def _iter_table(file: IO[bytes], filename: str) -> tuple[str, Iterator[Sequence[Any]]]:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        wb = load_workbook(file, read_only=True, data_only=True)
        ws = wb["数据"] if "数据" in wb.sheetnames else wb.worksheets[0]
        return ws.title, ws.iter_rows(values_only=True)
    if name.endswith((".csv", ".txt")):
        raw = file.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError("encoding")
        return "CSV", iter(csv.reader(io.StringIO(text)))
    raise ValueError("format")


def _guarded(rows: Iterator[Sequence[Any]], sheet: str, fail: Any) -> Iterator[Sequence[Any]]:
    """Rows until the file turns out to be damaged; then one error naming where, and stop."""
    row_no = 0
    try:
        for row_no, values in enumerate(rows, start=1):  # noqa: B007
            yield values
    except Exception:
        fail(
            f"{sheet}!{row_no + 1}",
            "",
            "mount.file_damaged",
            f"文件在第 {row_no + 1} 行处损坏，无法继续读取：请重新导出或另存后上传",
        )


def parse_rows(*, file: IO[bytes], filename: str, items: Sequence[Any]) -> ParsedRows:
    result = ParsedRows()

    def fail(where: str, column: str, code: str, message: str) -> None:
        result.error_count += 1
        if len(result.errors) < MAX_REPORTED_ERRORS:
            result.errors.append(RowError(where, column, code, message))

    try:
        sheet, table = _iter_table(file, filename)
    except ValueError as exc:
        msg = (
            "文件编码无法识别，请另存为 UTF-8 的 CSV"
            if str(exc) == "encoding"
            else "只支持 .xlsx 或 .csv 文件"
        )
        fail("文件", "", "mount.file_format", msg)
        return result
    except Exception:
        fail("文件", "", "mount.file_unreadable", "文件无法读取：请确认是未加密的 .xlsx 或 CSV 文件")
        return result
    table = _guarded(table, sheet, fail)
    header = next(table, None)
    if header is None:
        fail(f"{sheet}!1", "", "mount.empty", "文件为空：第 1 行应为列名（信息项名称）")
        return result
    columns = [str(h).strip() if h is not None else "" for h in header]
    by_name = {i.name: i for i in items}
    positions: dict[str, int] = {}
    for idx, col in enumerate(columns):
        if not col:
            continue
        if col not in by_name:
            fail(
                f"{sheet}!1",
                col,
                "mount.unknown_column",
                f"列“{col}”不是该资源的信息项，请删除或改为信息项名称",
            )
        elif col in positions:
            fail(f"{sheet}!1", col, "mount.duplicate_column", f"列“{col}”重复")
        else:
            positions[col] = idx
    missing = [i.name for i in items if i.name not in positions]
    if missing:
        fail(f"{sheet}!1", "、".join(missing), "mount.missing_column", f"缺少信息项列：{'、'.join(missing)}")
    if result.errors:
        return result
    key = key_item(items)
    seen_keys: dict[str, int] = {}
    for row_no, values in enumerate(table, start=2):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        record: dict[str, Any] = {}
        row_ok = True
        for item in items:
            pos = positions[item.name]
            raw = values[pos] if pos < len(values) else None
            value, problem = convert(item, raw)
            if problem:
                row_ok = False
                fail(f"{sheet}!{row_no}", item.name, "mount.invalid_value", f"“{item.name}”列：{problem}")
            record[item.name] = value
        if row_ok and key is not None:
            kv = str(record.get(key.name) or "")
            if kv in seen_keys:
                fail(f"{sheet}!{row_no}", key.name, "mount.duplicate_key",
                     f"主键“{key.name}”的值 {kv} 与第 {seen_keys[kv]} 行重复")  # fmt: skip
            else:
                seen_keys[kv] = row_no
        result.rows.append(record)
    if not result.rows and not result.errors:
        fail(f"{sheet}!2", "", "mount.no_rows", "文件中没有数据行")
    if result.errors:
        result.rows = []
    return result


# 公民身份号码, 姓名, 户籍地址, 现住址, 移动电话号码 (policy.rules.catalog.PERSONAL_ELEMENTS)
PERSON_ELEMENTS = {"DE00001", "DE00002", "DE00006", "DE00007", "DE00008"}
PERSON_MASKINGS = {"id_number", "mobile", "name", "address"}
PROTECTED_GRADES = {"important", "core"}


def protected_items(items: Sequence[Any], data_grade: str) -> set[str]:
    """Names of the items stored SM4-encrypted (CAT-7): personal identifiers of 重要/核心 resources.

    An item identifies a person when it references 公民身份号码, 姓名, 户籍地址, 现住址 or 移动电话号码
    (DE00001/2/6/7/8), is a 公民身份号码 by name, or is masked as an ID number, mobile, name or address.
    """
    if data_grade not in PROTECTED_GRADES:
        return set()
    return {
        i.name
        for i in items
        if _element_id(i) in PERSON_ELEMENTS
        or id_kind(i) == "id"
        or getattr(i, "masking", "none") in PERSON_MASKINGS
    }


def view_spec(items: Sequence[Any], data_grade: str) -> maskedview.ViewSpec:
    """The masked view stored with each row of a resource with these items (``maskedview``)."""
    return maskedview.spec(items, frozenset(protected_items(items, data_grade)))


def protect_row(row: dict[str, Any], protected: AbstractSet[str]) -> dict[str, Any]:
    """The row as stored: protected values encrypted (as text), ``None`` kept as ``None``."""
    if not protected:
        return row
    return {
        name: fieldcrypt.encrypt(value if isinstance(value, str) else str(value))
        if name in protected and value is not None
        else value
        for name, value in row.items()
    }


def stored_key(value: Any, *, protected: bool) -> str:
    """What ``DataRow.key`` holds for a key value: the text, or its blind index when protected."""
    text = str(value if value is not None else "").strip()
    if protected and text:
        return fieldcrypt.blind_index(text)
    return text[:64]


def read_value(raw: Any) -> Any:
    """A stored value as plaintext: ``sm4:`` values decrypted, others passed through."""
    return fieldcrypt.read(raw)


def read_row(data: dict[str, Any]) -> dict[str, Any]:
    return {name: fieldcrypt.read(value) for name, value in data.items()}


def store_rows(
    *,
    resource_id: int,
    mount_id: int,
    rows: list[dict[str, Any]],
    key_name: str | None = None,
    protected: AbstractSet[str] = frozenset(),
    view: maskedview.ViewSpec | None = None,
) -> int:
    """Add the rows of a new mount (on the datastore alias, in its own transaction).

    Values of ``protected`` items are stored SM4-encrypted; a protected key item is indexed by its
    blind index (keyed HMAC-SM3) instead of the plaintext.

    Earlier mounts' rows stay until the catalog transaction that made this mount current commits
    (``drop_other_mounts`` on commit): a failure in between leaves the old data served and only
    orphan rows of a mount that never became current, which the next successful mount removes.
    """
    key_protected = bool(key_name) and key_name in protected
    render = maskedview.renderer(view) if view is not None else None
    with transaction.atomic(using="datastore"):
        batch: list[DataRow] = []
        for n, row in enumerate(rows, start=1):
            key = stored_key(row.get(key_name), protected=key_protected) if key_name else ""
            batch.append(
                DataRow(
                    resource_id=resource_id, mount_id=mount_id, row_no=n, key=key,
                    data=protect_row(row, protected), view=render(row) if render is not None else "",
                )
            )  # fmt: skip
            if len(batch) >= 2000:
                DataRow.objects.bulk_create(batch)
                batch.clear()
        if batch:
            DataRow.objects.bulk_create(batch)
    return len(rows)


def drop_other_mounts(*, resource_id: int, keep_mount_id: int | None) -> int:
    """Delete a resource's rows that do not belong to its current mount."""
    with transaction.atomic(using="datastore"):
        deleted, _ = (
            DataRow.objects.filter(resource_id=resource_id).exclude(mount_id=keep_mount_id or 0).delete()
        )
    return deleted


# --- bulk loading of generated rows (sanbu generate_base_data) --------------------------------------

BULK_BATCH_SIZE = 20_000
SQLITE_BULK_CACHE_KIB = 262_144  # 256 MiB page cache while loading: the key index stays in memory


def row_encoder(
    *,
    key_name: str | None,
    protected: AbstractSet[str] = frozenset(),
    view: maskedview.ViewSpec | None = None,
) -> Callable[[dict[str, Any]], tuple[str, str, str]]:
    """``row -> (DataRow.key, DataRow.data as JSON text, DataRow.view)``, exactly as ``store_rows``
    stores a row.

    Protected values are SM4-encrypted and a protected key is blind-indexed, with the keys resolved once
    (``fieldcrypt.encryptor``/``blind_indexer``) instead of per value.
    """
    encrypt = fieldcrypt.encryptor() if protected else None
    index = fieldcrypt.blind_indexer() if key_name and key_name in protected else None
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    names = frozenset(protected)
    render = maskedview.renderer(view) if view is not None else None

    def encode(row: dict[str, Any]) -> tuple[str, str, str]:
        key = ""
        if key_name:
            raw = row.get(key_name)
            text = str(raw if raw is not None else "").strip()
            key = (index(text) if text else "") if index is not None else text[:64]
        shown = render(row) if render is not None else ""
        if encrypt is not None:
            row = {
                name: encrypt(value if isinstance(value, str) else str(value))
                if name in names and value is not None
                else value
                for name, value in row.items()
            }
        return key, dumps(row), shown

    return encode


@contextmanager
def bulk_session(using: str = "datastore") -> Iterator[None]:
    """On SQLite, for this load only: no fsync per commit and a large page cache (restored after).

    A crash during the load can lose the load itself (it is one transaction, rerun it), not earlier data
    already committed; the settings are per connection and put back when the load ends.
    """
    conn = connections[using]
    if conn.vendor != "sqlite" or conn.in_atomic_block:
        yield
        return
    with conn.cursor() as cur:
        cur.execute("PRAGMA synchronous")
        synchronous = cur.fetchone()[0]
        cur.execute("PRAGMA cache_size")
        cache_size = cur.fetchone()[0]
        cur.execute("PRAGMA synchronous = OFF")
        cur.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute(f"PRAGMA synchronous = {int(synchronous)}")
            cur.execute(f"PRAGMA cache_size = {int(cache_size)}")


def store_rows_bulk(
    *,
    resource_id: int,
    mount_id: int,
    rows: Iterable[dict[str, Any]],
    key_name: str | None = None,
    protected: AbstractSet[str] = frozenset(),
    view: maskedview.ViewSpec | None = None,
    batch_size: int = BULK_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    using: str = "datastore",
) -> int:
    """Store already-valid rows of a new mount fast: streamed, encrypted like ``store_rows``, inserted
    with ``executemany`` in batches of ``batch_size`` in one datastore transaction.

    For generated or otherwise trusted rows only: nothing is checked against the items (``parse_rows``
    does that for uploads). Memory stays flat whatever the number of rows (one batch at a time).
    ``progress`` is called with the running count after each batch. Same visibility rules as
    ``store_rows``: the rows serve once the catalog makes the mount current.
    """
    encode = row_encoder(key_name=key_name, protected=protected, view=view)
    conn = connections[using]
    qn = conn.ops.quote_name
    table = qn(DataRow._meta.db_table)
    columns = ", ".join(qn(c) for c in ("resource_id", "mount_id", "row_no", "key", "data", "view"))
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)"
    count = 0
    with bulk_session(using), transaction.atomic(using=using), conn.cursor() as cur:
        batch: list[tuple[int, int, int, str, str, str]] = []
        for count, row in enumerate(rows, start=1):
            key, data, shown = encode(row)
            batch.append((resource_id, mount_id, count, key, data, shown))
            if len(batch) >= batch_size:
                cur.executemany(sql, batch)
                batch.clear()
                if progress is not None:
                    progress(count)
        if batch:
            cur.executemany(sql, batch)
            if progress is not None:
                progress(count)
    refresh_statistics(using)
    return count


def refresh_statistics(using: str = "datastore") -> None:
    """Give the query planner current statistics of the rows table after a bulk load.

    Without them SQLite answers a key lookup (``lookup.find_rows``: resource, mount, key, ordered by
    row) through the ``(mount_id, row_no)`` index and scans the whole mount: ~340 ms per lookup in a
    million-row mount instead of ~1 ms through ``(resource_id, key)``. SQLite samples
    (``analysis_limit``, milliseconds); PostgreSQL's ``ANALYZE`` samples too. Skipped inside a
    transaction (tests), where the load may yet be rolled back.
    """
    conn = connections[using]
    if conn.in_atomic_block:
        return
    table = conn.ops.quote_name(DataRow._meta.db_table)
    with conn.cursor() as cur:
        if conn.vendor == "sqlite":
            cur.execute("PRAGMA analysis_limit = 1000")
            cur.execute(f"ANALYZE {table}")
        elif conn.vendor == "postgresql":
            cur.execute(f"ANALYZE {table}")


def drop_mount_rows(*, mount_id: int, using: str = "datastore") -> int:
    """Delete the rows of one mount (a bulk load that did not become current)."""
    with bulk_session(using), transaction.atomic(using=using):
        deleted, _ = DataRow.objects.using(using).filter(mount_id=mount_id).delete()
    return deleted
