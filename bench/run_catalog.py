"""Catalog benchmark (``make bench``): search over 100,000 generated resources on SQLite, plus the import
figures of ``bench/import_bench.py`` when it exists. Writes ``bench/results/catalog.json``.

    .venv/bin/python bench/run_catalog.py [--resources 100000] [--queries 400] [--skip-import]

Everything happens in a fresh temporary directory (SANBU_VAR_DIR) with the test settings, so the working
databases under var/ are never touched. The import benchmark runs in a child process of its own, so its
peak memory is not inflated by the 100k resources generated here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results" / "catalog.json"
SETTINGS = "sanbu.config.settings.test"
GOAL_P95_MS = 20.0


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def bench_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATASTORE_URL")}
    env.update(SANBU_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=SETTINGS)
    return env


def setup_django(var_dir: Path, database_url: str | None = None) -> None:
    for key in ("DATABASE_URL", "DATASTORE_URL"):
        os.environ.pop(key, None)
    os.environ.update(SANBU_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=SETTINGS)
    if database_url:  # a throwaway PostgreSQL database: everything in it is dropped first
        os.environ["DATABASE_URL"] = database_url
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    for alias in ("default", "datastore"):
        call_command("migrate", database=alias, verbosity=0)


# --- data -------------------------------------------------------------------------------------------------


@dataclass
class Catalog:
    resource_ids: list[int]
    names: list[str]
    codes: list[str]
    items: list[str]
    department_ids: list[int]
    department_names: list[str]
    counties: list[str]
    generate_s: float
    index_s: float


STATES = [("published", 70), ("draft", 10), ("submitted", 5), ("approved", 5), ("mounted", 5), ("offline", 5)]
SHARE = [("unconditional", 60), ("conditional", 30), ("none", 10)]


def generate(n: int, seed: int) -> Catalog:
    sys.path.insert(0, str(BENCH_DIR))
    import catalog_data
    from django.db import connection, transaction

    from sanbu.catalog import codes, search
    from sanbu.catalog.models import Resource, ResourceItem
    from sanbu.core.identifiers import make_uscc
    from sanbu.orgs.models import Department, Jurisdiction

    rng = random.Random(seed)
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous = OFF")
    county_rows = list(
        Jurisdiction.objects.filter(code__startswith="3703", level=3)
        .exclude(name="市辖区")
        .values_list("code", "name")
    )
    county_names = dict(county_rows)
    specs = catalog_data.departments(county_rows)
    depts = Department.objects.bulk_create(
        Department(
            name=s.name,
            uscc=make_uscc("11", s.jurisdiction, f"{80000000 + i:08d}"),
            jurisdiction_id=s.jurisdiction,
        )
        for i, s in enumerate(specs)
    )
    states = [s for s, w in STATES for _ in range(w)]
    shares = [s for s, w in SHARE for _ in range(w)]
    sequences: dict[str, int] = {}
    ids: list[int] = []
    names: list[str] = []
    all_codes: list[str] = []
    batch: list[tuple[Resource, tuple[str, ...]]] = []

    def flush() -> None:
        with transaction.atomic():
            made = Resource.objects.bulk_create([r for r, _ in batch], batch_size=2000)
            ResourceItem.objects.bulk_create(
                (
                    ResourceItem(resource_id=r.pk, position=pos, name=name, data_type="C", length=50)
                    for r, (_, items) in zip(made, batch, strict=True)
                    for pos, name in enumerate(items, start=1)
                ),
                batch_size=5000,
            )
        ids.extend(r.pk for r in made)
        batch.clear()

    for spec in catalog_data.resources(n, specs, county_names, seed=seed):
        dept = depts[spec.department]
        prefix = codes.prefix_for(spec.catalog_class, spec.subclass, dept.jurisdiction_id)
        sequences[prefix] = sequences.get(prefix, 0) + 1
        share = rng.choice(shares)
        resource = Resource(
            name=spec.name, code=codes.compose(prefix, sequences[prefix]), catalog_class=spec.catalog_class,
            subclass=spec.subclass, department_id=dept.pk, jurisdiction_id=dept.jurisdiction_id, summary=spec.summary,
            format="database", share_type=share, share_method="api", update_cycle="daily", state=rng.choice(states),
            share_condition="仅限依法履职使用" if share == "conditional" else "",
            no_share_basis="涉及国家秘密" if share == "none" else "",
        )  # fmt: skip
        names.append(resource.name)
        all_codes.append(resource.code)
        batch.append((resource, spec.items))
        if len(batch) >= 10000:
            flush()
            log(f"generated {len(ids):,} resources")
    if batch:
        flush()
    generated = time.perf_counter()
    log(f"generated {len(ids):,} resources in {generated - started:.1f} s; indexing")
    step = 10000
    for i in range(0, len(ids), step):
        with transaction.atomic():
            search.index_resources(ids[i : i + step])
    indexed = time.perf_counter()
    log(f"indexed in {indexed - generated:.1f} s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return Catalog(
        resource_ids=ids, names=names, codes=all_codes, items=catalog_data.ITEMS,
        department_ids=[d.pk for d in depts], department_names=[d.name for d in depts],
        counties=list(county_names), generate_s=round(generated - started, 2), index_s=round(indexed - generated, 2),
    )  # fmt: skip


# --- queries ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    category: str
    q: str


def make_queries(cat: Catalog, count: int, seed: int) -> list[Query]:
    """Mixed lengths: substrings of real names (so 1-character queries hit the common characters as often
    as users would), whole words, item and provider names, full names, codes and code prefixes."""
    sys.path.insert(0, str(BENCH_DIR))
    import catalog_data

    rng = random.Random(seed + 1)

    def substring(length: int) -> str:
        while True:
            name = rng.choice(cat.names)
            if len(name) >= length:
                start = rng.randrange(len(name) - length + 1)
                return name[start : start + length]

    def word() -> str:
        subject, aspect = rng.choice(catalog_data.SUBJECTS), rng.choice(catalog_data.ASPECTS)
        choices = (
            subject,
            aspect,
            f"{subject} {aspect}",
            rng.choice(cat.items),
            rng.choice(cat.department_names)[-5:],
        )
        return rng.choice(choices)

    makers: list[tuple[str, int, Any]] = [
        ("1_char", 15, lambda: substring(1)),
        ("2_chars", 20, lambda: substring(2)),
        ("3_4_chars", 20, lambda: substring(rng.choice((3, 4)))),
        ("words", 15, word),
        ("long", 10, lambda: rng.choice(cat.names)),
        ("codes", 10, lambda: rng.choice((rng.choice(cat.codes), rng.choice(cat.codes).split("/")[0]))),
        ("no_match", 5, lambda: rng.choice(("区块链", "元宇宙平台", "火星基地", "zzqx", "人口火星"))),
    ]
    total_weight = sum(w for _, w, _ in makers)
    out = []
    for category, weight, make in makers:
        out += [Query(category, make()) for _ in range(round(count * weight / total_weight))]
    rng.shuffle(out)
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary_of(ms: list[float]) -> dict[str, Any]:
    return {
        "queries": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2), "mean_ms": round(statistics.fmean(ms), 2),
    }  # fmt: skip


def run_search(cat: Catalog, queries: int, seed: int) -> dict[str, Any]:
    from sanbu.catalog.search import search_resources
    from sanbu.catalog.selectors import ResourceFilters
    from sanbu.core.actor import SYSTEM
    from sanbu.core.testing import actor_of, make_user
    from sanbu.orgs.models import Department

    steward = actor_of(make_user("bench-steward", department=Department.objects.get(pk=cat.department_ids[0]),
                                 roles=("steward",)))  # fmt: skip
    actors = [("system", SYSTEM), ("steward", steward)]
    rng = random.Random(seed + 2)
    filter_choices = [
        ResourceFilters(state="published"), ResourceFilters(catalog_class="1"), ResourceFilters(share_type="conditional"),
        ResourceFilters(jurisdiction=rng.choice(cat.counties)), ResourceFilters(department_id=rng.choice(cat.department_ids)),
        ResourceFilters(catalog_class="3", state="published"),
    ]  # fmt: skip

    started = time.perf_counter()
    search_resources(actor=SYSTEM, q="常住人口基本信息查询")  # loads jieba once, as the first request would
    jieba_ms = (time.perf_counter() - started) * 1000
    for q in ("信息", "人口", "3"):
        search_resources(actor=SYSTEM, q=q)

    runs: list[dict[str, Any]] = []
    for query in make_queries(cat, queries, seed):
        actor_name, actor = rng.choice(actors)
        filters = rng.choice(filter_choices) if rng.random() < 0.4 else None
        t0 = time.perf_counter()
        page = search_resources(actor=actor, q=query.q, filters=filters, limit=20)
        ms = (time.perf_counter() - t0) * 1000
        runs.append({"category": query.category, "q": query.q, "actor": actor_name, "filtered": filters is not None,
                     "ms": ms, "total": page.total})  # fmt: skip
    t0 = time.perf_counter()
    empty = [search_resources(actor=steward, q="", filters=f, limit=20) for f in (None, *filter_choices)]
    empty_ms = (time.perf_counter() - t0) * 1000 / len(empty)

    all_ms = [r["ms"] for r in runs]
    by: dict[str, dict[str, Any]] = {}
    for key in ("category", "actor", "filtered"):
        for value in sorted({str(r[key]) for r in runs}):
            group = [r for r in runs if str(r[key]) == value]
            entry = summary_of([r["ms"] for r in group])
            entry["median_total"] = int(statistics.median(r["total"] for r in group))
            by.setdefault(f"by_{'length' if key == 'category' else key}", {})[value] = entry
    slowest = sorted(runs, key=lambda r: -r["ms"])[:8]
    from django.db import connection

    return {
        "database": connection.vendor,
        "resources": len(cat.resource_ids),
        "items": None,
        **summary_of(all_ms),
        "goal_p95_ms": GOAL_P95_MS,
        "goal_met": percentile(all_ms, 95) < GOAL_P95_MS,
        **by,
        "empty_query_list_mean_ms": round(empty_ms, 2),
        "first_query_with_jieba_load_ms": round(jieba_ms, 1),
        "generate_s": cat.generate_s,
        "index_s": cat.index_s,
        "index_resources_per_s": round(len(cat.resource_ids) / cat.index_s) if cat.index_s else None,
        "slowest": [{k: (round(v, 2) if k == "ms" else v) for k, v in r.items()} for r in slowest],
    }


# --- import -----------------------------------------------------------------------------------------------

IMPORT_CHILD = """
import json, sys
sys.path.insert(0, {bench!r})
sys.path.insert(0, {src!r})
import django
django.setup()
from django.core.management import call_command
for alias in ("default", "datastore"):
    call_command("migrate", database=alias, verbosity=0)
import import_bench
result = import_bench.run()
print("@@IMPORT@@" + json.dumps(result, ensure_ascii=False, default=str), flush=True)
"""


def run_import(timeout: int) -> dict[str, Any]:
    """``bench/import_bench.py``'s ``run()`` in a fresh process and database of its own."""
    if not (BENCH_DIR / "import_bench.py").exists():
        return {"skipped": "bench/import_bench.py not present"}
    var_dir = Path(tempfile.mkdtemp(prefix="sanbu-bench-import-"))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", IMPORT_CHILD.format(bench=str(BENCH_DIR), src=str(ROOT / "src"))],
            env=bench_env(var_dir), cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"import benchmark did not finish within {timeout} s"}
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    for line in proc.stdout.splitlines():
        if line.startswith("@@IMPORT@@"):
            result: dict[str, Any] = json.loads(line.removeprefix("@@IMPORT@@"))
            return result
        print(line)
    return {"error": f"import benchmark exited with status {proc.returncode} without a result"}


# --- main -------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import sqlite3

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb, "os": platform.platform(),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--import-timeout", type=int, default=900)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it (for profiling)")
    parser.add_argument(
        "--database-url",
        help="run the search part on this PostgreSQL database instead (ALL ITS TABLES ARE DROPPED)",
    )
    args = parser.parse_args()

    var_dir = args.keep or Path(tempfile.mkdtemp(prefix="sanbu-bench-search-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        setup_django(var_dir, args.database_url)
        cat = generate(args.resources, args.seed)
        from sanbu.catalog.models import ResourceItem

        log(f"running {args.queries} searches")
        result = run_search(cat, args.queries, args.seed)
        result["items"] = ResourceItem.objects.count()
        from django.db import connections

        connections.close_all()
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    log(f"search p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms")

    imported: dict[str, Any] = {"skipped": "--skip-import"}
    if not args.skip_import:
        log("running the import benchmark (bench/import_bench.py)")
        imported = run_import(args.import_timeout)
        log(f"import: {json.dumps(imported, ensure_ascii=False)[:300]}")

    out = {
        "search": result,
        "import": imported,
        "machine": machine(),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
