"""Audit chain benchmark: verify a chain of gateway access records. Writes ``bench/results/audit.json``.

    .venv/bin/python bench/run_audit.py [--records 2000000] [--workers 2] [--single] [--reference]

A fresh SQLite database in a temporary directory (SANBU_VAR_DIR, test settings) is filled with
``gateway.access`` records shaped like ``exchange.gateway.Call.change`` makes them, appended through
``audit.append_batch`` (the gateway's group-commit path) in batches of ``--batch`` records. Generation is
timed separately (``append_records_per_s``: hashing and inserting, without making the Change objects).
``--compare`` more records are appended one ``record_many`` per entry, as the gateway's writer did
before, for comparison. Then ``audit.verify_chain`` is timed over the whole chain with ``--workers`` processes, ``--repeat``
times (the fastest counts: other work on a shared machine only ever slows a run down; every run and
the load average before it are in the JSON). ``--single`` also
times one process, ``--reference`` the old ORM walk (``iter_problems``), for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results" / "audit.json"
GOAL_RECORDS_PER_S = 200_000

sys.path.insert(0, str(BENCH_DIR))
from run_catalog import log, machine, setup_django  # noqa: E402

PURPOSES = [
    "办理社会保障卡业务时核验申请人身份信息",
    "不动产登记业务核验权利人身份",
    "公积金提取审核",
    "企业开办一网通办核验法定代表人信息",
    "低保申请家庭经济状况核对",
    "",
]
ITEMS = ["XM", "GMSFHM", "CSRQ", "XB", "MZ", "ZZ", "HJDZ", "LXDH", "TYSHXYDM", "QYMC", "FDDBR", "ZCZB"]
FILTERS = ["xb", "csrq", "mz", "zz", "qymc"]
OUTCOMES = [("granted", 200)] * 18 + [("gateway.not_found", 404), ("gateway.rate_limited", 429)]
COUNTIES = ["370302", "370303", "370304", "370305", "370306", "370321", "370322", "370323", "370300"]


def _uscc(rng: random.Random) -> str:
    return (
        "11"
        + rng.choice(COUNTIES)
        + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(10))
    )


def world(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    apps = [
        {
            "pk": 1 + i,
            "key_id": "ak_" + "".join(rng.choice("0123456789abcdef") for _ in range(12)),
            "uscc": _uscc(rng),
            "jurisdiction": rng.choice(COUNTIES),
        }
        for i in range(200)
    ]
    resources = [
        {
            "pk": 1000 + i,
            "name": f"{rng.choice(['人口', '法人', '社保', '不动产', '公积金', '婚姻'])}基础信息{i}",
            "jurisdiction": rng.choice(COUNTIES),
            "items": sorted(rng.sample(ITEMS, rng.randint(2, 6))),
        }
        for i in range(500)
    ]
    return apps, resources


def access_entries(
    n: int, start: int, seed: int, apps: list[dict[str, Any]], resources: list[dict[str, Any]]
) -> list[Any]:
    """``n`` (actor, Change) pairs like ``gateway.Call.actor()`` and ``Call.change()`` give."""
    from sanbu.core import audit
    from sanbu.core.actor import Actor

    rng = random.Random(seed * 1_000_003 + start)
    out = []
    for i in range(start, start + n):
        app = rng.choice(apps)
        res = rng.choice(resources)
        outcome, status = rng.choice(OUTCOMES)
        granted = status == 200
        keyed = rng.random() < 0.7
        after = {
            "app": app["pk"],
            "app_key": app["key_id"],
            "department": app["uscc"],
            "resource": res["pk"],
            "items": res["items"] if granted else [],
            "key_hash": f"{rng.getrandbits(256):064x}" if keyed else "",
            "filters": sorted(rng.sample(FILTERS, rng.randint(0, 2))),
            "rows": (1 if keyed else rng.randint(0, 100)) if granted else 0,
            "purpose": rng.choice(PURPOSES) if granted else "",
            "grant": 5000 + res["pk"] if granted else None,
            "outcome": outcome,
            "status": status,
        }
        actor = Actor(
            user_id=None,
            username=f"app:{app['key_id']}",
            department_uscc=app["uscc"],
            jurisdiction=app["jurisdiction"],
            request_id=f"{i:08x}{rng.getrandbits(96):024x}",
        )
        change = audit.Change(
            action="gateway.access",
            object_type="catalog.resource",
            object_id=str(res["pk"]),
            object_repr=res["name"] if granted else "",
            after=after,
            jurisdiction=res["jurisdiction"],
        )
        out.append((actor, change))
    return out


def generate(n: int, batch: int, seed: int) -> float:
    """Fill the chain with ``n`` access records; returns the seconds spent appending."""
    from django.db import connection, transaction

    from sanbu.core import audit

    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous = OFF")
    apps, resources = world(seed)
    spent, done, started = 0.0, 0, time.perf_counter()
    while done < n:
        size = min(batch, n - done)
        entries = access_entries(size, done + 1, seed, apps, resources)
        t0 = time.perf_counter()
        with transaction.atomic():
            audit.append_batch(entries)
        spent += time.perf_counter() - t0
        done += size
        if done % 200_000 < batch:
            log(f"{done:,} records ({time.perf_counter() - started:.0f} s)")
    return spent


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the verifying workers); not the database
    server's, on PostgreSQL."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def one_by_one(n: int, batch: int, seed: int) -> float:
    """Records per second when each entry of a batch is its own ``record_many`` (what the gateway's
    writer did before ``append_batch``), on ``n`` more records."""
    from django.db import transaction

    from sanbu.core import audit

    apps, resources = world(seed)
    spent, done = 0.0, 0
    while done < n:
        entries = access_entries(min(batch, n - done), 10**9 + done, seed, apps, resources)
        t0 = time.perf_counter()
        with transaction.atomic():
            for actor, change in entries:
                audit.record_many(actor=actor, changes=[change])
        spent += time.perf_counter() - t0
        done += len(entries)
    return n / spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=500, help="records per append (the gateway's MAX_BATCH)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="verifications; the fastest is reported")
    parser.add_argument(
        "--compare", type=int, default=10_000, help="records appended one record_many per entry (0: none)"
    )
    parser.add_argument("--single", action="store_true", help="also time verification in one process")
    parser.add_argument("--reference", action="store_true", help="also time the old ORM walk")
    parser.add_argument(
        "--output", type=Path, help=f"default {RESULTS} (SQLite), audit-postgresql.json beside it"
    )
    parser.add_argument(
        "--database-url", help="run on this PostgreSQL database instead (ALL ITS TABLES ARE DROPPED)"
    )
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args()

    var_dir = args.keep or Path(tempfile.mkdtemp(prefix="sanbu-bench-audit-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {}
    try:
        setup_django(var_dir, args.database_url)
        from django.db import connection, connections

        from sanbu.core import audit
        from sanbu.core.models import ChangeRecord
        from sanbu.core.sm3 import SM3_BACKEND

        log(f"appending {args.records:,} gateway access records in batches of {args.batch}")
        append_s = generate(args.records, args.batch, args.seed)
        if args.compare:
            rate1 = one_by_one(args.compare, args.batch, args.seed)
            extra["append_one_by_one_records_per_s"] = round(rate1)
            log(f"one record_many per entry: {rate1:,.0f} records/s on {args.compare:,} records")
        records = ChangeRecord.objects.count()
        log(f"appended {records:,} records in {append_s:.1f} s of append time")
        vendor = connection.vendor
        if vendor == "sqlite":
            size = Path(connection.settings_dict["NAME"]).stat().st_size
        else:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_database_size(current_database())")
                size = cur.fetchone()[0]
        extra["database_mb"] = round(size / 2**20)

        log(f"verifying with {args.workers} worker(s), {args.repeat} time(s)")
        runs, cpus, loads = [], [], []
        for _ in range(args.repeat):
            loads.append(round(os.getloadavg()[0], 2))
            t0, cpu0 = time.perf_counter(), cpu_seconds()
            count, problem = audit.verify_chain(workers=args.workers)
            runs.append(time.perf_counter() - t0)
            cpus.append(cpu_seconds() - cpu0)
            assert problem is None and count == records, (count, problem)
            log(f"verified {count:,} records in {runs[-1]:.2f} s: {count / runs[-1]:,.0f} records/s")
        best = min(range(len(runs)), key=runs.__getitem__)
        verify_s = runs[best]
        extra["verify_runs_seconds"] = [round(r, 2) for r in runs]
        extra["load_average_before_runs"] = loads  # other work on the machine slows the runs down
        extra["verify_cpu_seconds"] = round(cpus[best], 2)
        if vendor == "sqlite":  # all the work is in these processes: what idle cores would give
            cores = min(args.workers, os.cpu_count() or 1)
            extra["verify_records_per_s_if_idle"] = round(count * cores / cpus[best])
        if args.single:
            t0 = time.perf_counter()
            count1, problem1 = audit.verify_chain(workers=1)
            single_s = time.perf_counter() - t0
            assert problem1 is None and count1 == records
            extra["single_process_seconds"] = round(single_s, 2)
            extra["single_process_records_per_s"] = round(count1 / single_s)
            log(f"one process: {single_s:.2f} s, {count1 / single_s:,.0f} records/s")
        if args.reference:
            t0 = time.perf_counter()
            assert next(audit.iter_problems(), None) is None
            ref_s = time.perf_counter() - t0
            extra["reference_seconds"] = round(ref_s, 2)
            extra["reference_records_per_s"] = round(records / ref_s)
            log(f"reference ORM walk: {ref_s:.2f} s, {records / ref_s:,.0f} records/s")
        connections.close_all()
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)

    rate = records / verify_s
    out = {
        "records": records,
        "verify_seconds": round(verify_s, 2),
        "verify_records_per_s": round(rate),
        "append_records_per_s": round(records / append_s),
        "workers": args.workers,
        "goal_records_per_s": GOAL_RECORDS_PER_S,
        "meets_goal": rate >= GOAL_RECORDS_PER_S,
        "sm3": SM3_BACKEND,
        "database": vendor,
        **extra,
        "machine": machine(),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    output = args.output or (RESULTS if vendor == "sqlite" else RESULTS.with_name(f"audit-{vendor}.json"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
