"""Bulk extracts (EX-6, EX-8): a granted resource as CSV or Parquet, in full or since a watermark.

``GET /gateway/v1/resources/<resource_id>/extract?format=csv|parquet[&since=<watermark>]`` with the
same ``Authorization: Bearer`` key as the records endpoint, and the same checks in the same code
(``gateway.authorize``: key, rate limit, grant). Only the granted items are written, each masked by
the grant's rule for it, exactly as the records endpoint masks them.

**Watermark.** ``<mount id>-<row id>``: the mount the rows belong to and the largest ``DataRow.id``
the extract covers. Row ids grow within a mount, so ``since=<watermark>`` returns the rows of the same
mount added after it. The response says where the next extract starts in ``X-Sanbu-Watermark``. A
re-mount replaces every row under a new mount id: an incremental extract whose watermark names an
earlier mount gets ``409 gateway.extract.remounted`` (with the current mount in ``X-Sanbu-Mount``),
and the client takes a full extract (no ``since``) again.

**Audit first.** The rows the extract covers are fixed before anything is sent (``after < id <=
upto``), counted, and recorded in the chain as ``gateway.extract`` (app, resource, items, format,
since, upto, rows, outcome); only once that record is committed does the first byte go out. A refused
extract is recorded the same way (refusals carry no data).

**Masked views.** Each stored row carries its masked view (``datastore.maskedview``): the values as a
consumer without a lift sees them, already written as one CSV record. When every granted item is in
the view under the grant's rule, and the view was made under the resource's current items and rules
(its signature matches), the extract is built from the views alone: no JSON parsing, no decryption, no
per-value masking. Otherwise (a lifted item, rules changed since the mount) each value is read,
decrypted and masked as the records endpoint does.

**Flat memory.** Rows are read ``CHUNK`` at a time by keyset paging on ``id`` and written out as they
come: CSV in chunks, Parquet one row group per ``ROW_GROUP`` rows written into a small buffer that is
drained after each group.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from sanbu.core import fieldcrypt
from sanbu.datastore import lookup, maskedview

from . import accesslog
from .gateway import LOG_UNAVAILABLE, Access, Call, authorize, json_response, not_served, refuse

ACTION = "gateway.extract"
FORMATS = ("csv", "parquet")
CHUNK = 5000
VIEW_CHUNK = 20_000
ROW_GROUP = 50_000
BOM = "\ufeff"
_WATERMARK = re.compile(r"([0-9]{1,18})-([0-9]{1,18})", re.ASCII)
PARAMS = {"format", "since", "version"}


@dataclass(frozen=True)
class Watermark:
    mount_id: int
    row_id: int

    def __str__(self) -> str:
        return f"{self.mount_id}-{self.row_id}"

    @classmethod
    def parse(cls, raw: str) -> Watermark | None:
        m = _WATERMARK.fullmatch(raw.strip())
        return cls(int(m.group(1)), int(m.group(2))) if m else None


def row_function(access: Access) -> Callable[[dict[str, Any]], list[Any]]:
    """Stored row → the granted values in item order, decrypted where stored encrypted, then masked."""
    fields = list(zip(access.grant.names, access.grant.maskers, access.grant.decrypt, strict=True))
    read = fieldcrypt.read

    def values(data: dict[str, Any]) -> list[Any]:
        out = []
        for name, fn, encrypted in fields:
            v = data.get(name)
            if encrypted and v is not None:
                v = read(v)
            out.append(fn(v) if fn is not None else v)
        return out

    return values


def _chunks(access: Access, after: int, upto: int) -> Iterator[list[list[Any]]]:
    assert access.mount_id is not None
    values = row_function(access)
    for chunk in lookup.iter_row_chunks(access.mount_id, after=after, upto=upto, chunk=CHUNK):
        yield [values(data) for _, data in chunk]


def view_columns(access: Access, after: int, upto: int) -> list[int] | None:
    """Where each granted item sits in the rows' masked views, or None when the extract cannot be built
    from the views (an item lifted or absent, or views made under other items or rules)."""
    view = access.resource.view
    columns = [view.index(n, r) for n, r in zip(access.grant.names, access.grant.rules, strict=True)]
    if any(c is None for c in columns) or access.mount_id is None:
        return None
    first = lookup.first_view(access.mount_id, after=after, upto=upto)
    if first is not None and not first.startswith(view.prefix):
        return None
    return [c for c in columns if c is not None]


def _view_lines(access: Access, after: int, upto: int) -> Iterator[list[str]]:
    """The rows' masked views without their signature, a chunk at a time."""
    assert access.mount_id is not None
    cut = len(access.resource.view.prefix)
    for chunk in lookup.iter_view_chunks(access.mount_id, after=after, upto=upto, chunk=VIEW_CHUNK):
        yield [v[cut:] for v in chunk]


def csv_view_stream(
    access: Access, after: int, upto: int, expected: int, columns: list[int]
) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write(BOM)
    writer.writerow(access.grant.names)
    whole = columns == list(range(len(access.resource.view.names)))
    sent = 0
    for lines in _view_lines(access, after, upto):
        sent += len(lines)
        if whole:
            buf.write("\r\n".join(lines))
            buf.write("\r\n")
        else:
            writer.writerows([row[c] for c in columns] for row in csv.reader(lines))
        yield buf.getvalue().encode("utf-8")
        buf.seek(0)
        buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode("utf-8")
    _check_complete(sent, expected)


class Truncated(RuntimeError):
    """The mount's rows went away while they were being sent (a re-mount): the transfer is cut."""


def _check_complete(sent: int, expected: int) -> None:
    if sent != expected:
        raise Truncated(f"extract cut short: {sent} of {expected} rows")


def csv_stream(access: Access, after: int, upto: int, expected: int) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write(BOM)
    writer.writerow(access.grant.names)
    sent = 0
    for rows in _chunks(access, after, upto):
        writer.writerows([[maskedview.text(v) for v in row] for row in rows])
        sent += len(rows)
        yield buf.getvalue().encode("utf-8")
        buf.seek(0)
        buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode("utf-8")
    _check_complete(sent, expected)


class _Sink:
    """A write-only file for pyarrow that keeps what was written until it is drained."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.pos = 0
        self.closed = False

    def write(self, data: Any) -> int:
        b = bytes(data)
        self.parts.append(b)
        self.pos += len(b)
        return len(b)

    def tell(self) -> int:
        return self.pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


_ARROW_TYPES = {"I": "int64", "N": "float64", "F": "float64", "B": "float64", "L": "bool_"}


def parquet_schema(access: Access, watermark: str) -> Any:
    import pyarrow as pa

    fields = []
    for item, rule in zip(access.grant.items, access.grant.rules, strict=True):
        masked = bool(rule) and rule != "none"
        type_name = "string" if masked else _ARROW_TYPES.get(item.data_type, "string")
        fields.append(pa.field(item.name, getattr(pa, type_name)(), metadata={"kind": type_name}))
    meta = {"sanbu.resource": str(access.resource.pk), "sanbu.watermark": watermark}
    return pa.schema(fields, metadata=meta)


def _convert(value: Any, kind: str) -> Any:
    if value is None:
        return None
    try:
        if kind == "int64":
            return int(value)
        if kind == "float64":
            return float(value)
        if kind == "bool_":
            return bool(value)
    except (TypeError, ValueError):
        return None
    return maskedview.text(value)


def _column(values: list[Any], kind: str) -> Any:
    import pyarrow as pa

    typ = getattr(pa, kind)()
    try:
        return pa.array(values, type=typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):  # a stray value: convert each
        return pa.array([_convert(v, kind) for v in values], type=typ)


def _view_tables(access: Access, after: int, upto: int, columns: list[int], schema: Any) -> Iterator[Any]:
    """Arrow tables of the granted columns parsed from the views by pyarrow's CSV reader (C++), one per
    ``ROW_GROUP`` rows; text columns stay text, typed ones are cast (per value if a stray value fails)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(access.resource.view.names))]
    include = [names[c] for c in columns]
    read = pacsv.ReadOptions(column_names=names, block_size=1 << 22)
    parse = pacsv.ParseOptions(newlines_in_values=True)
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in include}, include_columns=include, strings_can_be_null=True,
        null_values=[""], quoted_strings_can_be_null=True,
    )  # fmt: skip
    pending: list[str] = []

    def table(lines: list[str]) -> Any:
        raw = pacsv.read_csv(io.BytesIO(("\n".join(lines) + "\n").encode("utf-8")), read_options=read,
                             parse_options=parse, convert_options=convert)  # fmt: skip
        arrays = []
        for name, f in zip(include, schema, strict=True):
            col = raw.column(name)
            kind = f.metadata[b"kind"].decode()
            if kind != "string":
                try:
                    col = col.cast(getattr(pa, kind)())
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    col = _column([maskedview.text(v) for v in col.to_pylist()], kind)
            arrays.append(col)
        return pa.Table.from_arrays(arrays, schema=schema)

    for lines in _view_lines(access, after, upto):
        pending.extend(lines)
        if len(pending) >= ROW_GROUP:
            yield table(pending)
            pending = []
    if pending:
        yield table(pending)


def parquet_stream(
    access: Access, after: int, upto: int, expected: int, watermark: str, columns: list[int] | None = None
) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(access, watermark)
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    sent = 0
    pending: list[list[Any]] = []
    if columns is not None:
        for part in _view_tables(access, after, upto, columns, schema):
            writer.write_table(part, row_group_size=part.num_rows)
            sent += part.num_rows
            data = sink.drain()
            if data:
                yield data
        writer.close()
        yield sink.drain()
        _check_complete(sent, expected)
        return

    def write(rows: list[list[Any]]) -> None:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
        arrays = [
            _column(list(col), f.metadata[b"kind"].decode()) for col, f in zip(columns, schema, strict=True)
        ]
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=len(rows) or None)

    for rows in _chunks(access, after, upto):
        pending.extend(rows)
        sent += len(rows)
        if len(pending) >= ROW_GROUP:
            write(pending)
            pending = []
            data = sink.drain()
            if data:
                yield data
    if pending:
        write(pending)
    writer.close()
    yield sink.drain()
    _check_complete(sent, expected)


def extract(request: HttpRequest, resource_id: str) -> HttpResponse | StreamingHttpResponse:
    call = Call(request_id=str(getattr(request, "request_id", "")), resource_id=resource_id, action=ACTION)
    params = request.GET
    fmt = params.get("format", "csv") or "csv"
    since_raw = params.get("since", "")
    call.extra = {"format": fmt[:16], "since": since_raw[:40], "upto": ""}
    access = authorize(request, call)
    if isinstance(access, HttpResponse):
        return access

    unknown = sorted(set(params) - PARAMS)
    if unknown:
        return refuse(
            call,
            400,
            "gateway.bad_request",
            f"抽取不支持参数“{unknown[0][:64]}”：只接受 format、since 和 version。",
        )
    if any(len(params.getlist(p)) > 1 for p in PARAMS):
        return refuse(call, 400, "gateway.bad_request", "format、since 和 version 只能各给出一个值。")
    if fmt not in FORMATS:
        return refuse(call, 400, "gateway.bad_request", "format 只能是 csv 或 parquet。")
    since = Watermark.parse(since_raw) if since_raw else None
    if since_raw and since is None:
        return refuse(
            call,
            400,
            "gateway.bad_request",
            "since 应为上次抽取返回的水位（X-Sanbu-Watermark），形如 12-34567。",
        )
    if access.mount_id is None:
        return not_served(call)
    mount_id = access.mount_id
    if since is not None and since.mount_id != mount_id:
        return refuse(
            call, 409, "gateway.extract.remounted",
            "资源已重新挂接，原有数据已全部替换：请不带 since 参数重新做一次全量抽取。",
            {"X-Sanbu-Mount": str(mount_id)},
        )  # fmt: skip

    after = since.row_id if since is not None else 0
    _, last = lookup.mount_bounds(mount_id)
    upto = max(last, after)
    rows = lookup.count_rows(mount_id, after=after, upto=upto)
    watermark = str(Watermark(mount_id, upto))
    call.rows = rows
    call.extra["upto"] = watermark
    if not accesslog.log(call.actor(), call.change("granted", 200)):
        return json_response(503, LOG_UNAVAILABLE)

    columns = view_columns(access, after, upto)
    if fmt == "csv":
        stream = (
            csv_stream(access, after, upto, rows)
            if columns is None
            else csv_view_stream(access, after, upto, rows, columns)
        )
        content_type = "text/csv; charset=utf-8"
    else:
        stream = parquet_stream(access, after, upto, rows, watermark, columns)
        content_type = "application/vnd.apache.parquet"
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = (
        f'attachment; filename="resource-{access.resource.pk}-{watermark}.{fmt}"'
    )
    response["X-Sanbu-Watermark"] = watermark
    response["X-Sanbu-Mount"] = str(mount_id)
    response["X-Sanbu-Rows"] = str(rows)
    for name, value in access.headers.items():
        response[name] = value
    if since is not None:
        response["X-Sanbu-Since"] = str(since)
    return response
