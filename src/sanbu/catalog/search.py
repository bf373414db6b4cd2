"""Catalog search: Chinese full text over name, code, summary, item names and provider, on SQLite and
PostgreSQL, without a search server. Interface used by the API, pages and services:

- ``index_resources(ids)``: refresh the search index rows of these resources (called by services in
  their transaction, so the index never lags the catalog; imports call it once with many ids);
- ``search_resources(actor=, q=, filters=, limit=, offset=)`` → ``SearchPage``.

How it finds a word inside an unspaced title. Text is cut into tokens: every CJK character is a token
of its own, runs of letters/digits are one token each (lower-cased, NFKC-normalised so full-width
ＡＢＣ１２３ equals abc123). "常住人口基本信息" is indexed as ``常 住 人 口 基 本 信 息``, and a query is a
*phrase* of those tokens: "人口" → ``"人 口"``, which matches exactly where 人 is followed by 口. So any
substring of any length — one character, two, ten — is found; nothing depends on a word list agreeing
with how the title was written (CKAN's weakness: its analyser cuts 常住人口 into words and a query for
住人 or 口 finds nothing).

jieba is used on the query side only: a run of four or more CJK characters ("人口基本信息查询") is cut
into words and each word must match (in any column, any order), with the whole run as an optional phrase
that lifts the rows containing it verbatim. One- to three-character runs stay exact phrases. A query with
spaces is the AND of its parts. The index therefore needs no dictionary and is fast to build in bulk.

Storage (migration 0003_search, chosen per database vendor):

- SQLite: an FTS5 table ``catalog_resource_search`` (rowid = resource id) with columns name, code, items,
  summary, provider holding the token text; ranked by bm25 with the name and code columns weighted far
  above the rest, so a name match always ranks above a summary/items/provider match.
- PostgreSQL: a table ``catalog_resource_search(resource_id, document tsvector)`` with a GIN index. The
  tsvector is built here (lexeme, position and weight: A name/code, B items, C summary, D provider)
  rather than by a text-search configuration, so both databases see identical tokens; queries are
  ``'人' <-> '口'`` phrases, ranked by ``ts_rank`` with weights that put A far above the rest.

Queries are restricted by joining the index with ``selectors.resource_list(actor, filters)``, the same
visibility and filter rules as every other catalog read. Any input string is safe: the query is rebuilt
from tokens (letters, digits, CJK), so quotes, operators, ``*`` and emoji can never reach the engine's
query syntax. Very common single characters (信, 息 ...) match most of the catalog; for those the rank is
computed for the name column only and the rest ordered by recency (see ``_SHORT_QUERY``).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q

from sanbu.core.actor import Actor

from .models import Resource, ResourceItem
from .selectors import ResourceFilters, resource_list

TABLE = "catalog_resource_search"
SEPARATOR = "_"  # a token no query can contain: keeps phrases from running across items or fields
MAX_TOKEN_LEN = 40
MAX_QUERY_LEN = 200
MAX_TERMS = 12
JIEBA_MIN_RUN = 4
BATCH = 500

# bm25 weights per FTS5 column (name, code, items, summary, provider) and ts_rank weights {D, C, B, A}.
FTS_WEIGHTS = (100.0, 100.0, 3.0, 2.0, 1.0)
PG_WEIGHTS = "{0.01, 0.02, 0.04, 1.0}"

_CJK = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKEN_RE = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")
_CJK_RE = re.compile(f"[{_CJK}]")
_OPERATORS = frozenset({"AND", "&&"})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchPage:
    results: list[Resource]
    total: int


# --- tokens ---------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokenize(text: str) -> list[str]:
    """CJK characters one by one, letter/digit runs whole: ``"GDP数据2023"`` → ``gdp 数 据 2023``."""
    return [t[:MAX_TOKEN_LEN] for t in _TOKEN_RE.findall(_normalise(text))]


def _is_cjk(token: str) -> bool:
    return len(token) == 1 and _CJK_RE.match(token) is not None


@dataclass(frozen=True)
class Term:
    """A phrase: these tokens, adjacent and in order; ``prefix`` lets the last token be a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False

    @property
    def cjk_len(self) -> int:
        return sum(1 for t in self.tokens if _is_cjk(t))


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...]  # every term must match
    boosts: tuple[Term, ...] = ()  # optional phrases that only raise the rank

    def __bool__(self) -> bool:
        return bool(self.terms)


@functools.cache
def _jieba() -> Any:
    """jieba with its dictionary loaded, once per process (the first call takes about a second)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _words(run: str) -> list[str]:
    """Cut a CJK run into words; single characters are glued to a neighbour so no term is one common
    character on its own (住人口基 → 住人口基, 常住人口基本信息 → 常住 人口 基本 信息)."""
    if len(run) < JIEBA_MIN_RUN:
        return [run]
    words: list[str] = []
    carry = ""
    for piece in _jieba().cut(run, HMM=False):
        if len(piece) == 1 and words:
            words[-1] += piece
        elif len(piece) == 1:
            carry += piece
        else:
            words.append(carry + piece)
            carry = ""
    if carry:
        words.append(carry)
    return words


def _chunk_terms(tokens: list[str]) -> list[Term]:
    """One whitespace-separated chunk → its terms: CJK runs (cut by jieba when long) and Latin tokens."""
    terms: list[Term] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            terms.extend(Term(tuple(word)) for word in _words("".join(run)))
            run.clear()

    for token in tokens:
        if _is_cjk(token):
            run.append(token)
        else:
            flush()
            terms.append(Term((token,), prefix=len(token) >= 2))
    flush()
    return terms


def parse_query(q: str) -> ParsedQuery:
    """Whitespace-separated chunks are ANDed; each chunk is a phrase, or its words when it is long."""
    terms: list[Term] = []
    boosts: list[Term] = []
    for chunk in unicodedata.normalize("NFKC", q[:MAX_QUERY_LEN]).split():
        if chunk in _OPERATORS:
            continue
        tokens = tokenize(chunk)
        if not tokens:
            continue
        parts = _chunk_terms(tokens)
        terms.extend(parts)
        if len(parts) > 1:
            boosts.append(Term(tuple(tokens), prefix=parts[-1].prefix))
    unique = tuple(dict.fromkeys(terms))[:MAX_TERMS]
    return ParsedQuery(unique, tuple(dict.fromkeys(boosts))[:MAX_TERMS] if unique else ())


# --- documents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    resource_id: int
    name: str
    code: str
    summary: str
    provider: str
    items: tuple[str, ...]


def _fts_text(*texts: str) -> str:
    return f" {SEPARATOR} ".join(" ".join(tokenize(t)) for t in texts if t)


def _pg_document(src: _Source) -> str:
    """A tsvector literal: each token with its positions and weight, a gap between fields and items."""
    fields: list[tuple[str, str]] = [(src.name, "A"), (src.code, "A")]
    fields += [(item, "B") for item in src.items]
    fields += [(src.summary, "C"), (src.provider, "D")]
    lexemes: dict[str, list[str]] = {}
    pos = 1
    for text, weight in fields:
        for token in tokenize(text):
            if pos > 16383:
                break
            positions = lexemes.setdefault(token, [])
            if len(positions) < 256:
                positions.append(f"{pos}{weight}")
            pos += 1
        pos += 2
    return " ".join(f"'{lex}':{','.join(p)}" for lex, p in lexemes.items())


def _sources(conn: BaseDatabaseWrapper, ids: Sequence[int]) -> Iterator[_Source]:
    """Raw SQL (no model instances): fast in bulk, and usable from the migration."""
    marks = ", ".join(["%s"] * len(ids))
    items: dict[int, list[str]] = {}
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT resource_id, name FROM {ResourceItem._meta.db_table} WHERE resource_id IN ({marks}) "
            "ORDER BY resource_id, position, id",
            list(ids),
        )
        for rid, name in cur.fetchall():
            items.setdefault(rid, []).append(name)
        cur.execute(
            f"SELECT r.id, r.name, r.code, r.summary, d.name, d.short_name FROM {Resource._meta.db_table} r "
            f"JOIN orgs_department d ON d.id = r.department_id WHERE r.id IN ({marks})",
            list(ids),
        )
        for rid, name, code, summary, dept, short in cur.fetchall():
            provider = f"{dept} {short}" if short and short not in dept else dept
            yield _Source(rid, name, code, summary, provider, tuple(items.get(rid, ())))


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in dict.fromkeys(int(i) for i in ids):
        batch.append(i)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_index(conn: BaseDatabaseWrapper, ids: Iterable[int]) -> int:
    count = 0
    for batch in _chunks(ids):
        sources = list(_sources(conn, batch))
        marks = ", ".join(["%s"] * len(batch))
        with conn.cursor() as cur:
            if conn.vendor == "sqlite":
                cur.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})", batch)
                cur.executemany(
                    f"INSERT INTO {TABLE} (rowid, name, code, items, summary, provider) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    [
                        (s.resource_id, _fts_text(s.name), _fts_text(s.code), _fts_text(*s.items),
                         _fts_text(s.summary), _fts_text(s.provider))
                        for s in sources
                    ],
                )  # fmt: skip
            elif conn.vendor == "postgresql":
                cur.execute(f"DELETE FROM {TABLE} WHERE resource_id = ANY(%s)", [batch])
                cur.execute(
                    f"INSERT INTO {TABLE} (resource_id, document) "
                    "SELECT * FROM unnest(%s::bigint[], %s::text[]::tsvector[])",
                    [[s.resource_id for s in sources], [_pg_document(s) for s in sources]],
                )
        count += len(sources)
    return count


def _connection(write: bool) -> BaseDatabaseWrapper:
    alias = router.db_for_write(Resource) if write else router.db_for_read(Resource)
    return connections[alias or "default"]


def index_resources(ids: Iterable[int]) -> None:
    """Refresh the index rows of these resources (missing ids just lose their row)."""
    conn = _connection(write=True)
    if conn.vendor in ("sqlite", "postgresql"):
        _write_index(conn, ids)


def rebuild_index(conn: BaseDatabaseWrapper | None = None) -> int:
    """Re-index every resource (used by the migration; safe to run any time)."""
    conn = conn or _connection(write=True)
    if conn.vendor not in ("sqlite", "postgresql"):
        return 0
    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE}")
        cur.execute(f"SELECT id FROM {Resource._meta.db_table} ORDER BY id")
        ids = [row[0] for row in cur.fetchall()]
    return _write_index(conn, ids)


# --- engine queries -------------------------------------------------------------------------------


def _fts_term(term: Term, column: str = "") -> str:
    phrase = '"' + " ".join(term.tokens) + '"' + (" *" if term.prefix else "")
    return f"{{{column}}} : {phrase}" if column else phrase


def fts_match(query: ParsedQuery) -> str:
    """The FTS5 MATCH expression; every token is letters/digits/CJK, so quoting is always safe."""
    terms = " AND ".join(_fts_term(t) for t in query.terms)
    if not query.boosts:
        return terms
    return f"({terms}) OR ({' OR '.join(_fts_term(b) for b in query.boosts)})"


def _pg_term(term: Term) -> str:
    lexemes = [f"'{t}'" for t in term.tokens]
    if term.prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


def pg_tsquery(query: ParsedQuery) -> str:
    terms = " & ".join(_pg_term(t) for t in query.terms)
    if not query.boosts:
        return terms
    return f"({terms}) | ({' | '.join(_pg_term(b) for b in query.boosts)})"


def _visible_ids_sql(actor: Actor, filters: ResourceFilters | None) -> tuple[str, tuple[Any, ...]]:
    qs = resource_list(actor=actor, filters=filters).order_by().values("id")
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _fts_search(
    conn: BaseDatabaseWrapper, inner: str, params: tuple[Any, ...], query: ParsedQuery, limit: int, offset: int
) -> tuple[list[int], int]:
    match = fts_match(query)
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    base = f"FROM {TABLE} s JOIN ({inner}) v ON v.id = s.rowid WHERE s.{TABLE} MATCH %s"
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) {base}", [*params, match])
        total = cur.fetchone()[0]
        if total == 0 or offset >= total:
            return [], total
        cur.execute(
            f"SELECT s.rowid {base} ORDER BY bm25(s.{TABLE}, {weights}), s.rowid DESC LIMIT %s OFFSET %s",
            [*params, match, limit, offset],
        )
        return [row[0] for row in cur.fetchall()], total


def _pg_search(
    conn: BaseDatabaseWrapper, inner: str, params: tuple[Any, ...], query: ParsedQuery, limit: int, offset: int
) -> tuple[list[int], int]:
    tsq = pg_tsquery(query)
    base = f"FROM {TABLE} s JOIN ({inner}) v ON v.id = s.resource_id WHERE s.document @@ %s::tsquery"
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) {base}", [*params, tsq])
        total = cur.fetchone()[0]
        if total == 0 or offset >= total:
            return [], total
        cur.execute(
            f"SELECT s.resource_id {base} ORDER BY ts_rank(%s, s.document, %s::tsquery) DESC, s.resource_id DESC "
            "LIMIT %s OFFSET %s",
            [*params, tsq, PG_WEIGHTS, tsq, limit, offset],
        )
        return [row[0] for row in cur.fetchall()], total


def _fallback_search(qs: Any, query: ParsedQuery, limit: int, offset: int) -> SearchPage:
    """Other database vendors: substring matching without ranking."""
    for term in query.terms:
        text = "".join(term.tokens)
        qs = qs.filter(
            Q(name__icontains=text) | Q(code__icontains=text) | Q(summary__icontains=text)
            | Q(items__name__icontains=text) | Q(department__name__icontains=text)
        )  # fmt: skip
    qs = qs.distinct()
    return SearchPage(list(qs[offset : offset + limit]), qs.count())


def search_resources(
    *, actor: Actor, q: str = "", filters: ResourceFilters | None = None, limit: int = 20, offset: int = 0
) -> SearchPage:
    """Ranked matches of ``q`` among the resources the actor may see, or the filtered list (newest first)
    when ``q`` is blank. A query with nothing searchable in it (only punctuation or emoji) finds nothing."""
    limit, offset = max(0, int(limit)), max(0, int(offset))
    qs = resource_list(actor=actor, filters=filters)
    if not q or not q.strip():
        return SearchPage(list(qs[offset : offset + limit]), qs.count())
    query = parse_query(q)
    if not query:
        return SearchPage([], 0)
    conn = _connection(write=False)
    if conn.vendor not in ("sqlite", "postgresql"):
        return _fallback_search(qs, query, limit, offset)
    try:
        inner, params = _visible_ids_sql(actor, filters)
    except EmptyResultSet:  # the actor may see nothing at all
        return SearchPage([], 0)
    engine = _fts_search if conn.vendor == "sqlite" else _pg_search
    ids, total = engine(conn, inner, params, query, limit, offset)
    found = Resource.objects.select_related("department", "jurisdiction").in_bulk(ids)
    return SearchPage([found[i] for i in ids if i in found], total)
