"""Catalog search: Chinese full text over name, code, item names, summary and provider, on SQLite and
PostgreSQL, without a search server. Interface used by the API, pages and services:

- ``index_resources(ids)``: refresh the search index rows of these resources (called by services in
  their transaction, so the index never lags the catalog; imports call it once with many ids);
- ``search_resources(actor=, q=, filters=, limit=, offset=)`` → ``SearchPage``.

**Finding a word inside an unspaced title.** Text is cut into tokens: every CJK character is a token of
its own, a run of letters/digits is one token (NFKC-normalised and case-folded, so ＧＤＰ１２３ = gdp123).
"常住人口基本信息" is indexed as ``常 住 人 口 基 本 信 息`` and a query is a *phrase* of the same tokens:
"人口" → ``"人 口"``, matching exactly where 人 is followed by 口. So any substring of any length is found —
one character, two, ten — and nothing depends on a dictionary agreeing with how the title was written
(CKAN's failure: its analyser cuts 常住人口 into words, and 住人 or 口 then find nothing). Letter/digit tokens
also match as prefixes (``gd`` finds GDP, a code's first digits find the code).

jieba works on the query side only: a run of four or more CJK characters ("人口基本信息查询") is cut into
words, every word must match (any column, any order) and rows holding the whole run rank first. Shorter
runs stay exact phrases; chunks separated by spaces are ANDed. The index needs no dictionary, so it is
fast to build in bulk (about 15,000 resources a second on SQLite, 10,000 in well under a second).

**Ranking.** Name (and code) matches always come before matches only in items, summary or provider:
the name equal to the query, then names starting with it, then containing it, then containing its words,
then the rest; shorter names first within a tier, then the newest. One query (the probe) fetches up to
``COUNT_CAP + 1`` visible matches with their names; up to ``RANK_LIMIT`` of them are ranked in Python and
counted exactly. Beyond that (a single common character such as 信 matches half the catalog) ranking
every row would cost tens of milliseconds, so the same tiers are read straight from the index newest
first (each tier an early-stopping index scan), and the count stops at ``COUNT_CAP``
(``SearchPage.capped``: show "2000+"). bm25/ts_rank are not used: bm25's IDF costs a full pass over every
phrase's matches, which dominated the time, and for short catalog titles tiers give the clearer order.

**Filters** are also indexed as tags (``d_<department>``, ``c_<catalog class>``, ``t_<share type>``,
``j_<jurisdiction>``), so a selective filter narrows the index scan instead of discarding a common word's
matches one join at a time. Tags only speed things up: the join below applies every filter exactly.

**Storage** (migration 0003_search, per database vendor):

- SQLite: FTS5 tables ``catalog_resource_search`` (name, code, tags, items, summary, provider) and
  ``catalog_resource_names`` (name, code, tags), rowid = resource id, holding the token text. The second
  keeps the name tiers cheap when a phrase is common in items or summaries but rare in titles. "Starts
  with" is FTS5's ``^``.
- PostgreSQL: ``catalog_resource_search(resource_id, names tsvector, document tsvector)`` with GIN
  indexes. The tsvectors are built here (lexemes and positions) rather than by a text-search
  configuration, so both databases see identical tokens. Pairs of adjacent CJK characters are lexemes
  too, so a phrase becomes a chain of pairs (常住人口 → ``'常住' <-> '住人' <-> '人口'``) that GIN narrows
  precisely before any recheck; the first token and pair of a name/code are also indexed with a ``^``
  prefix for "starts with".

Results are restricted by joining the index with ``selectors.resource_list(actor, filters)``: the same
visibility and filter rules as every other catalog read. Any input string is safe: the engine query is
rebuilt from tokens (letters, digits, CJK only), so quotes, operators, ``*`` and emoji never reach the
query syntax, and a query with nothing searchable in it finds nothing.
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
NAMES_TABLE = "catalog_resource_names"  # SQLite only
SEPARATOR = "_"  # a token no query can contain: keeps phrases from running across items or fields
HEAD = "^"  # PostgreSQL: marks the first token (or pair) of a name or code; FTS5 has ``^`` built in
MAX_TOKEN_LEN = 40
MAX_QUERY_LEN = 200
MAX_TERMS = 12
JIEBA_MIN_RUN = 4
BATCH = 500
RANK_LIMIT = 1000  # up to this many visible matches are ranked one by one (and counted exactly)
COUNT_CAP = 2000  # beyond RANK_LIMIT, counting stops here and the page says so (SearchPage.capped)

_CJK = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKEN_RE = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")
_CJK_RE = re.compile(f"[{_CJK}]")
_OPERATORS = frozenset({"AND", "&&"})
_TAG_VALUE_RE = re.compile(r"[0-9a-z]{1,40}")
_SQUASH_RE = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class SearchPage:
    results: list[Resource]
    total: int
    capped: bool = False  # True when there are more than ``total`` matches (counting stopped at COUNT_CAP)


# --- tokens and queries ---------------------------------------------------------------------------


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
    def text(self) -> str:
        return "".join(self.tokens)


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...]  # every term must match (in any column)
    chunks: tuple[Term, ...] = ()  # each whitespace-separated chunk as one phrase, for ranking

    def __bool__(self) -> bool:
        return bool(self.terms)


@functools.cache
def _jieba() -> Any:
    """jieba with its dictionary loaded, once per process (the first call takes about half a second)."""
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
    chunks: list[Term] = []
    for chunk in unicodedata.normalize("NFKC", q[:MAX_QUERY_LEN]).split():
        if chunk in _OPERATORS:
            continue
        tokens = tokenize(chunk)
        if not tokens:
            continue
        parts = _chunk_terms(tokens)
        terms.extend(parts)
        chunks.append(Term(tuple(tokens), prefix=parts[-1].prefix))
    unique = tuple(dict.fromkeys(terms))[:MAX_TERMS]
    return ParsedQuery(unique, tuple(dict.fromkeys(chunks))[:MAX_TERMS] if unique else ())


# --- documents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    resource_id: int
    name: str
    code: str
    summary: str
    provider: str
    items: tuple[str, ...]
    tags: tuple[str, ...]


def _tag(kind: str, value: object) -> str:
    """A filter tag token (``d_17`` department, ``j_370303`` jurisdiction, ``c_1`` catalog, ``t_none`` share
    type). Queries can never produce a token with ``_``, so text never matches a tag."""
    text = str(value).strip().lower() if value is not None else ""
    return f"{kind}_{text}" if _TAG_VALUE_RE.fullmatch(text) else ""


def filter_tags(filters: ResourceFilters | None) -> tuple[Term, ...]:
    """The filters as index terms, so a selective filter narrows the index scan itself instead of
    discarding most of a common word's matches one join at a time. The join with the visible rows still
    applies every filter exactly; tags only make it cheaper (and are rebuilt whenever a resource is
    re-indexed: register, update, import, ``rebuild_index``)."""
    if filters is None:
        return ()
    from sanbu.core.actor import jurisdiction_prefix

    tags = [
        Term((_tag("d", filters.department_id),)) if filters.department_id else None,
        Term((_tag("c", filters.catalog_class),)) if filters.catalog_class else None,
        Term((_tag("t", filters.share_type),)) if filters.share_type else None,
        Term((_tag("j", jurisdiction_prefix(filters.jurisdiction)),), prefix=True)
        if filters.jurisdiction
        else None,
    ]
    return tuple(t for t in tags if t is not None and t.tokens[0])


def _fts_text(*texts: str) -> str:
    return f" {SEPARATOR} ".join(" ".join(tokenize(t)) for t in texts if t)


def _pg_lexemes(tokens: list[str], head: bool = False) -> list[tuple[str, int]]:
    """(lexeme, offset) for PostgreSQL: every token, plus every pair of adjacent CJK characters at the
    first one's offset, plus (``head``) the first token and first pair prefixed with HEAD."""
    out: list[tuple[str, int]] = []
    for i, token in enumerate(tokens):
        out.append((token, i))
        if _is_cjk(token) and i + 1 < len(tokens) and _is_cjk(tokens[i + 1]):
            out.append((token + tokens[i + 1], i))
    if head and tokens:
        out += [(HEAD + lex, 0) for lex, pos in out[:2] if pos == 0]
    return out


def _pg_vector(fields: list[list[tuple[str, int]]]) -> str:
    """A tsvector literal from fields of (lexeme, offset), with a gap between fields so that no phrase
    runs from one into the next."""
    lexemes: dict[str, list[int]] = {}
    base = 1
    for field in fields:
        end = base
        for lex, offset in field:
            pos = base + offset
            positions = lexemes.setdefault(lex, [])
            if pos <= 16383 and len(positions) < 256:
                positions.append(pos)
            end = max(end, pos)
        base = end + 3
    return " ".join(f"'{lex}':{','.join(map(str, p))}" for lex, p in lexemes.items() if p)


def _pg_vectors(src: _Source) -> tuple[str, str]:
    """The two tsvectors of a resource: ``names`` (name, code, with HEAD lexemes; for the name tiers) and
    ``document`` (everything). Both carry the filter tags. Pairs of CJK characters are lexemes too, so a
    phrase becomes a chain of pairs (常住人口 → 常住 <-> 住人 <-> 人口) that GIN narrows down precisely."""
    tags = [(tag, 0) for tag in src.tags]
    name = _pg_lexemes(tokenize(src.name), head=True)
    code = _pg_lexemes(tokenize(src.code), head=True)
    names = _pg_vector([name, code, tags])
    rest = [_pg_lexemes(tokenize(text)) for text in (*src.items, src.summary, src.provider)]
    return names, _pg_vector([name, code, *rest, tags])


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
            "SELECT r.id, r.name, r.code, r.summary, d.name, d.short_name, r.department_id, r.jurisdiction_id, "
            f"r.catalog_class, r.share_type FROM {Resource._meta.db_table} r "
            f"JOIN orgs_department d ON d.id = r.department_id WHERE r.id IN ({marks})",
            list(ids),
        )
        for rid, name, code, summary, dept, short, dept_id, jurisdiction, cls, share in cur.fetchall():
            provider = f"{dept} {short}" if short and short not in dept else dept
            tags = (_tag("d", dept_id), _tag("j", jurisdiction), _tag("c", cls), _tag("t", share))
            yield _Source(
                rid, name, code, summary, provider, tuple(items.get(rid, ())), tuple(filter(None, tags))
            )


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
                rows = [
                    (s.resource_id, _fts_text(s.name), _fts_text(s.code), " ".join(s.tags)) for s in sources
                ]
                for table in (TABLE, NAMES_TABLE):
                    cur.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", batch)
                cur.executemany(
                    f"INSERT INTO {NAMES_TABLE} (rowid, name, code, tags) VALUES (%s, %s, %s, %s)", rows
                )
                cur.executemany(
                    f"INSERT INTO {TABLE} (rowid, name, code, tags, items, summary, provider) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(*row, _fts_text(*s.items), _fts_text(s.summary), _fts_text(s.provider))
                     for row, s in zip(rows, sources, strict=True)],
                )  # fmt: skip
            elif conn.vendor == "postgresql":
                cur.execute(f"DELETE FROM {TABLE} WHERE resource_id = ANY(%s)", [batch])
                vectors = [_pg_vectors(s) for s in sources]
                cur.execute(
                    f"INSERT INTO {TABLE} (resource_id, names, document) "
                    "SELECT * FROM unnest(%s::bigint[], %s::text[]::tsvector[], %s::text[]::tsvector[])",
                    [[s.resource_id for s in sources], [v[0] for v in vectors], [v[1] for v in vectors]],
                )
        count += len(sources)
    return count


def _connection(write: bool) -> BaseDatabaseWrapper:
    alias = router.db_for_write(Resource) if write else router.db_for_read(Resource)
    return connections[alias or "default"]


def index_resources(ids: Iterable[int]) -> None:
    """Refresh the index rows of these resources (ids that no longer exist just lose their rows)."""
    conn = _connection(write=True)
    if conn.vendor in ("sqlite", "postgresql"):
        _write_index(conn, ids)


def rebuild_index(conn: BaseDatabaseWrapper | None = None) -> int:
    """Re-index every resource (used by the migration; safe to run at any time)."""
    conn = conn or _connection(write=True)
    if conn.vendor not in ("sqlite", "postgresql"):
        return 0
    with conn.cursor() as cur:
        for table in (TABLE, NAMES_TABLE) if conn.vendor == "sqlite" else (TABLE,):
            cur.execute(f"DELETE FROM {table}")
        cur.execute(f"SELECT id FROM {Resource._meta.db_table} ORDER BY id")
        ids = [row[0] for row in cur.fetchall()]
    return _write_index(conn, ids)


# --- ranking --------------------------------------------------------------------------------------


def _squash(text: str) -> str:
    """The tokens of ``text`` run together (what ranking compares): NFKC, case-folded, no punctuation."""
    return _SQUASH_RE.sub("", _normalise(text))


def _ranked(query: ParsedQuery, rows: list[tuple[Any, ...]]) -> list[int]:
    """Order (id, name, code) rows: tier 0 the name is the query, 1 starts with it, 2 contains it, 3 holds
    all its words, 4 matched elsewhere (items, summary, provider); then shorter names, then newer."""
    chunks = [t.text for t in query.chunks]
    words = [t.text for t in query.terms]
    whole = chunks[0] if len(chunks) == 1 else None

    def key(row: tuple[Any, ...]) -> tuple[int, int, int]:
        rid, name, code = row
        n, c = _squash(name), _squash(code)
        if n == whole:
            tier = 0
        elif all(x in n for x in chunks) or all(x in c for x in chunks):
            tier = 1 if n.startswith(chunks[0]) or c.startswith(chunks[0]) else 2
        elif all(w in n or w in c for w in words):
            tier = 3
        else:
            tier = 4
        return tier, len(n), -rid

    return [row[0] for row in sorted(rows, key=key)]


@dataclass(frozen=True)
class _Tier:
    table: str
    match: str
    exclude: str = ""  # PostgreSQL: rows that also match this belong to an earlier tier


class _Engine:
    """One database's search: the probe (up to COUNT_CAP + 1 visible matches with name and code), and the
    tiers read newest first. ``inner`` selects the visible rows (id, name, code)."""

    key = "s.rowid"
    fence = False  # match in the index first, then join (see _run)

    def __init__(
        self, conn: BaseDatabaseWrapper, inner: str, params: tuple[Any, ...], query: ParsedQuery,
        tags: tuple[Term, ...] = (),
    ):  # fmt: skip
        self.conn, self.inner, self.params, self.query, self.tags = conn, inner, params, query, tags

    def where(self, tier: _Tier) -> str:
        raise NotImplementedError

    def source(self, tier: _Tier) -> str:
        return tier.table

    def everything(self) -> _Tier:
        raise NotImplementedError

    def tiers(self) -> list[_Tier]:
        raise NotImplementedError

    def _run(
        self, select: str, tier: _Tier, tail: str, extra: list[Any], fence: bool = False
    ) -> list[tuple[Any, ...]]:
        """Matches of ``tier`` among the visible rows. ``fence`` (PostgreSQL, unordered reads): match in the
        index first, then join; left to itself the planner may walk the table by id testing each document."""
        args = [tier.match, tier.exclude] if tier.exclude else [tier.match]
        join = f"JOIN ({self.inner}) v ON v.id = {self.key}"
        if fence and self.fence:
            source = f"(SELECT * FROM {self.source(tier)} s WHERE {self.where(tier)} OFFSET 0) s"
            sql, params = f"SELECT {select} FROM {source} {join} {tail}", [*args, *self.params, *extra]
        else:
            sql = f"SELECT {select} FROM {self.source(tier)} s {join} WHERE {self.where(tier)} {tail}"
            params = [*self.params, *args, *extra]
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def probe(self) -> list[tuple[Any, ...]]:
        """Up to COUNT_CAP + 1 visible matches (id, name, code), in no particular order."""
        return self._run("v.id, v.name, v.code", self.everything(), "LIMIT %s", [COUNT_CAP + 1], fence=True)

    def count(self, tier: _Tier, cap: int) -> int:
        return len(self._run("1", tier, "LIMIT %s", [cap], fence=True))

    def newest(self, tier: _Tier, limit: int, offset: int) -> list[int]:
        rows = self._run(self.key, tier, f"ORDER BY {self.key} DESC LIMIT %s OFFSET %s", [limit, offset])
        return [row[0] for row in rows]


class _Sqlite(_Engine):
    @staticmethod
    def phrase(term: Term, initial: bool = False) -> str:
        return ("^" if initial else "") + '"' + " ".join(term.tokens) + '"' + (" *" if term.prefix else "")

    def where(self, tier: _Tier) -> str:
        return f"s.{tier.table} MATCH %s"

    def match(self) -> str:
        return " AND ".join(self.phrase(t) for t in self.query.terms)

    def filtered(self, expr: str) -> str:
        return " AND ".join([f"({expr})", *(self.phrase(t) for t in self.tags)]) if self.tags else expr

    def everything(self) -> _Tier:
        return _Tier(TABLE, self.filtered(self.match()))

    def tiers(self) -> list[_Tier]:
        match = self.match()
        rest = _Tier(TABLE, self.filtered(f"({match}) NOT ({{name code}} : ({match}))"))
        if len(self.query.chunks) == 1:
            head = self.phrase(self.query.chunks[0], initial=True)
            return [
                _Tier(NAMES_TABLE, self.filtered(head)),
                _Tier(NAMES_TABLE, self.filtered(f"({match}) NOT ({head})")),
                rest,
            ]
        return [_Tier(NAMES_TABLE, self.filtered(match)), rest]


class _Postgres(_Engine):
    """``_Tier.table`` names the tsvector column the tier matches; ``exclude`` always applies to names."""

    key = "s.resource_id"
    fence = True

    @staticmethod
    def phrase(term: Term, head: bool = False) -> str:
        """A chain of lexemes at their offsets: 常住人口 → '常住' <-> '住人' <-> '人口', gdp统计 → 'gdp' <-> '统计'."""
        tokens = term.tokens
        chain: list[tuple[str, int]] = []
        for i, token in enumerate(tokens):
            if _is_cjk(token) and i + 1 < len(tokens) and _is_cjk(tokens[i + 1]):
                chain.append((token + tokens[i + 1], i))
            elif not (_is_cjk(token) and i > 0 and _is_cjk(tokens[i - 1])):
                chain.append((token, i))
        if head:
            chain[0] = (HEAD + chain[0][0], chain[0][1])
        out = ""
        for k, (lex, offset) in enumerate(chain):
            star = ":*" if term.prefix and k == len(chain) - 1 and not _is_cjk(lex[-1]) else ""
            out += ("" if k == 0 else f" <{offset - chain[k - 1][1]}> ") + f"'{lex}'{star}"
        return f"({out})"

    def source(self, tier: _Tier) -> str:
        return TABLE

    def where(self, tier: _Tier) -> str:
        sql = f"s.{tier.table} @@ %s::tsquery"
        return f"{sql} AND NOT s.names @@ %s::tsquery" if tier.exclude else sql

    def tsquery(self, tags: bool = True) -> str:
        terms = [self.phrase(t) for t in self.query.terms]
        return " & ".join(terms + [self.phrase(t) for t in self.tags] if tags else terms)

    def everything(self) -> _Tier:
        return _Tier("document", self.tsquery())

    def tiers(self) -> list[_Tier]:
        rest = _Tier("document", self.tsquery(), exclude=self.tsquery(tags=False))
        if len(self.query.chunks) == 1:
            head = self.phrase(self.query.chunks[0], head=True)
            tagged_head = " & ".join([head, *(self.phrase(t) for t in self.tags)])
            return [_Tier("names", tagged_head), _Tier("names", self.tsquery(), exclude=head), rest]
        return [_Tier("names", self.tsquery()), rest]


def _paged_tiers(engine: _Engine, limit: int, offset: int) -> list[int]:
    """Concatenate the tiers (each newest first) and cut the page out of them."""
    ids: list[int] = []
    skip = offset
    for tier in engine.tiers():
        if len(ids) >= limit:
            break
        got = engine.newest(tier, limit - len(ids), skip)
        if got:
            ids += got
            skip = 0
        elif skip:
            skip -= engine.count(tier, skip)
    return ids


def _engine_search(engine: _Engine, limit: int, offset: int) -> tuple[list[int], int, bool]:
    rows = engine.probe()
    if len(rows) <= RANK_LIMIT:
        return _ranked(engine.query, rows)[offset : offset + limit], len(rows), False
    capped = len(rows) > COUNT_CAP
    total = min(len(rows), COUNT_CAP)
    if offset >= total or limit == 0:
        return [], total, capped
    return _paged_tiers(engine, min(limit, total - offset), offset), total, capped


def _fallback_search(qs: Any, query: ParsedQuery, limit: int, offset: int) -> SearchPage:
    """Other database vendors: unranked substring matching."""
    for term in query.terms:
        qs = qs.filter(
            Q(name__icontains=term.text) | Q(code__icontains=term.text) | Q(summary__icontains=term.text)
            | Q(items__name__icontains=term.text) | Q(department__name__icontains=term.text)
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
        inner, params = qs.order_by().values("id", "name", "code").query.sql_with_params()
    except EmptyResultSet:  # the actor may see nothing at all
        return SearchPage([], 0)
    engine_class = _Sqlite if conn.vendor == "sqlite" else _Postgres
    engine = engine_class(conn, inner, tuple(params), query, filter_tags(filters))
    ids, total, capped = _engine_search(engine, limit, offset)
    found = Resource.objects.select_related("department", "jurisdiction").in_bulk(ids)
    return SearchPage([found[i] for i in ids if i in found], total, capped)
