"""Scoring benchmark: a month's score snapshot of 淄博市 (500 departments) over the policy benchmark's data
(100,000 resources, 10,000 projects) with a month of sharing traffic. Writes ``bench/results/scoring.json``.

    .venv/bin/python bench/run_scoring.py [--departments 500] [--resources 100000] [--projects 10000]
                                          [--requests 20000] [--repeat 3] [--profile]

A fresh SQLite database in a temporary directory (SANBU_VAR_DIR, test settings). The fixture is
``run_policy.generate`` (departments of 淄博市 and its counties, catalog, systems, projects and, through
``generate_lifecycle``, approved and accepted projects with tranches, progress reports and O&M rows), and
on top of it, with bulk_create, what the scoring facts read (``sanbu.scoring.facts``):

- the published resources' publication dates (the policy fixture leaves them empty) and a third of them on
  a monthly update cycle; 3 information items per resource, a few thousand of them linked to data elements
  (each department the authority of its own elements) and a few hundred collected again from another
  department's element (重复采集); element conflicts, most open;
- one consumer app per department, tied to one of its systems (so calls dock systems);
- share requests with due dates spread over this month, most answered (some after the deadline), some
  open; a grant for each one granted; objections to granted data and 供需对接 needs routed to providers,
  the same way; daily call counts (``UsageDay``) for about 30 days over part of the grants;
- funds recovered from a few paid projects; third-party and public-feedback scores for a third of the
  departments.

Measured: ``scoring.services.snapshot_build(actor=SYSTEM, jurisdiction="370300", month=<this month>)`` on
the ruleset's tree (``tree_for``) and on ``dimensions``, taking turns, ``--repeat`` times each; the fastest
of each counts. The breakdown times the parts of a build: the department list, the facts by part
(``facts._catalog``, ``_systems``, ``_exchange``, ``_conflicts``, ``_projects``, ``_external``), the
scoring of the tree, the 月调度 tasks (``tasks.tasks_at``), the digest, and the rest (deleting the old
rows, writing the new ones, the change record). Every build of a tree must give the same digest.

Goal (the issue): one snapshot of 500 departments in under 10 s. When it is missed (or with ``--profile``)
``profile`` lists where the time goes (cProfile of one build).
"""

from __future__ import annotations

import argparse
import calendar
import cProfile
import gc
import io
import json
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "scoring.json"
GOAL_S = 10.0
CITY = "370300"
ALTERNATIVE = "dimensions"

sys.path.insert(0, str(BENCH_DIR))
from run_catalog import log, machine, setup_django  # noqa: E402
from run_policy import generate  # noqa: E402

FACT_PARTS = ("_catalog", "_systems", "_exchange", "_conflicts", "_projects", "_external")


# --- the fixture: the exchange and catalog data the scoring facts read -------------------------------------


def generate_scoring(rng: random.Random, n_requests: int, n_objections: int, n_needs: int, usage_pairs: int,
                     usage_days: int, items_per_resource: int, linked_items: int, duplicates: int,
                     conflicts: int, recoveries_of: int) -> dict[str, Any]:  # fmt: skip
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from sanbu.catalog.models import DataElement, ElementConflict, Resource, ResourceItem
    from sanbu.exchange.models import ConsumerApp, DataNeed, Grant, Objection, ShareRequest, UsageDay
    from sanbu.inventory.models import InformationSystem
    from sanbu.orgs.models import Department
    from sanbu.projects.models import LedgerEntry
    from sanbu.scoring.models import ExternalScore

    started = time.perf_counter()
    zone = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()
    first = today.replace(day=1)
    days_in_month = calendar.monthrange(today.year, today.month)[1]

    def at(day: date, hour: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)

    depts = list(Department.objects.order_by("pk"))
    dept_of = {d.pk: d for d in depts}
    published = list(
        Resource.objects.filter(state="published").order_by("pk").values_list("pk", "department_id")
    )
    with transaction.atomic():
        # The policy fixture publishes without a date; a third of the resources load monthly.
        Resource.objects.filter(state="published", published_at__isnull=True).update(
            published_at=now - timedelta(days=120)
        )
        Resource.objects.annotate(third=F("pk") % 3).filter(third=0).update(update_cycle="monthly")

        # Data elements: each department the authority of one, and a hundred base elements with none.
        elements = DataElement.objects.bulk_create(
            [DataElement(identifier=f"BE{k:05d}", name=f"基准数据元{k}", data_type="C",
                         authority_id=d.pk) for k, d in enumerate(depts)]
            + [DataElement(identifier=f"BB{k:05d}", name=f"基础数据元{k}", data_type="C", is_base=True)
               for k in range(100)],
            batch_size=2000,
        )  # fmt: skip
        own = {e.authority_id: e for e in elements if e.authority_id is not None}
        base = [e for e in elements if e.authority_id is None]
        chosen = rng.sample(published, linked_items + duplicates)
        link: dict[int, tuple[int, bool]] = {}  # resource → (element, duplicate)
        for n, (rid, dept) in enumerate(chosen):
            if n < duplicates:  # collected again from another department's element
                other = rng.choice(depts)
                while other.pk == dept:
                    other = rng.choice(depts)
                link[rid] = (own[other.pk].pk, True)
            else:
                link[rid] = ((own[dept] if rng.random() < 0.7 else rng.choice(base)).pk, False)
        items = 0
        batch: list[ResourceItem] = []
        for rid in Resource.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=10_000):
            for pos in range(1, items_per_resource + 1):
                element_id, _ = link.get(rid, (None, False)) if pos == 2 else (None, False)
                batch.append(ResourceItem(resource_id=rid, position=pos, name=f"信息项{pos}", data_type="C",
                                          length=50, element_id=element_id, is_key=pos == 1))  # fmt: skip
            if len(batch) >= 20_000:
                ResourceItem.objects.bulk_create(batch, batch_size=5000)
                items += len(batch)
                batch.clear()
        ResourceItem.objects.bulk_create(batch, batch_size=5000)
        items += len(batch)

        # 一数一源 conflicts: a claimant for another department's element, most still open.
        pairs: set[tuple[int, int]] = set()
        made_conflicts: list[ElementConflict] = []
        while len(made_conflicts) < conflicts:
            incumbent, claimant = rng.sample(depts, 2)
            element = own[incumbent.pk]
            if (element.pk, claimant.pk) in pairs:
                continue
            pairs.add((element.pk, claimant.pk))
            resolved = rng.random() < 0.3
            made_conflicts.append(ElementConflict(
                element_id=element.pk, incumbent_id=incumbent.pk, claimant_id=claimant.pk,
                state="resolved" if resolved else "open", note="基准测试",
                winner_id=incumbent.pk if resolved else None,
                resolved_at=now - timedelta(days=rng.randrange(1, 60)) if resolved else None,
            ))  # fmt: skip
        ElementConflict.objects.bulk_create(made_conflicts)
    log(f"{items:,} items ({len(link):,} linked, {duplicates} duplicates), {len(made_conflicts)} conflicts "
        f"({time.perf_counter() - started:.1f} s)")  # fmt: skip

    with transaction.atomic():
        # One app per department, named after one of its systems (so its calls dock that system).
        system_of: dict[int, str] = {}
        for dept_id, name in InformationSystem.objects.order_by("pk").values_list("department_id", "name"):
            system_of.setdefault(dept_id, name)
        apps = ConsumerApp.objects.bulk_create(
            (ConsumerApp(department_id=d.pk, jurisdiction_id=d.jurisdiction_id, name="业务协同应用",
                         system_name=system_of.get(d.pk, ""), created_by="bench") for d in depts),
            batch_size=2000,
        )  # fmt: skip
        app_of = {a.department_id: a.pk for a in apps}

        def due_this_month() -> date:
            return first + timedelta(days=rng.randrange(days_in_month))

        def answer(received: datetime, due: date, late_share: float) -> datetime | None:
            """When it was answered: on time, late or (None) not yet; never after now."""
            roll = rng.random()
            if roll < 0.12:
                return None
            if roll < 0.12 + late_share:
                when = at(due + timedelta(days=rng.randint(1, 6)), 16)
            else:
                when = received + timedelta(
                    days=rng.randint(1, max(1, (due - received.date()).days)), hours=2
                )
            return when if when <= now else None

        requests: list[ShareRequest] = []
        for _ in range(n_requests):
            rid, provider = rng.choice(published)
            consumer = rng.choice(depts)
            while consumer.pk == provider:
                consumer = rng.choice(depts)
            due = due_this_month()
            received = at(due - timedelta(days=14), 9)
            answered = answer(received, due, 0.1)
            state = "pending" if answered is None else ("granted" if rng.random() < 0.9 else "refused")
            requests.append(ShareRequest(
                consumer_department_id=consumer.pk, app_id=app_of[consumer.pk], resource_id=rid,
                provider_department_id=provider, jurisdiction_id=dept_of[provider].jurisdiction_id,
                purpose="业务办理时核验", legal_basis="《政务数据共享条例》（国务院令第809号）",
                period_start=received.date(), period_end=received.date() + timedelta(days=365), state=state,
                steps=["accept", "approve"], current_step="accept" if answered is None else "",
                received_at=received, due_date=due, answered_at=answered,
                refusal_reason="超出职责范围" if state == "refused" else "", submitted_by="bench",
            ))  # fmt: skip
        requests = ShareRequest.objects.bulk_create(requests, batch_size=2000)
        grants = Grant.objects.bulk_create(
            (Grant(app_id=r.app_id, resource_id=r.resource_id, consumer_department_id=r.consumer_department_id,
                   provider_department_id=r.provider_department_id, jurisdiction_id=r.jurisdiction_id,
                   request_id=r.pk, granted_at=r.answered_at or now) for r in requests if r.state == "granted"),
            batch_size=2000,
        )  # fmt: skip

        objections: list[Objection] = []
        for g in rng.sample(grants, min(n_objections, len(grants))):
            due = due_this_month()
            received = at(due - timedelta(days=10), 10)
            answered = answer(received, due, 0.15)
            objections.append(Objection(
                resource_id=g.resource_id, grant_id=g.pk, consumer_department_id=g.consumer_department_id,
                provider_department_id=g.provider_department_id, jurisdiction_id=g.jurisdiction_id,
                record_key_masked="3703**********1234", description="户籍地址与实际不符", evidence="现场核查记录",
                state="open" if answered is None else rng.choice(["answered", "corrected", "closed"]),
                received_at=received, due_date=due, answer="已核实" if answered else "", answered_at=answered,
                answered_by="bench" if answered else "", created_by="bench",
            ))  # fmt: skip
        Objection.objects.bulk_create(objections, batch_size=2000)

        needs: list[DataNeed] = []
        for k in range(n_needs):
            asker, routed_to = rng.sample(depts, 2)
            due = due_this_month()
            routed = at(due - timedelta(days=10), 11)
            closed = answer(routed, due, 0.15)
            needs.append(DataNeed(
                department_id=asker.pk, jurisdiction_id=asker.jurisdiction_id, title=f"数据需求{k}",
                description="办理业务需要核验相关信息", desired_items=["统一社会信用代码"],
                state="routed" if closed is None else "closed", routed_to_id=routed_to.pk, routed_at=routed,
                due_date=due, outcome="" if closed is None else rng.choice(["will_provide", "cannot_provide"]),
                reply="" if closed is None else "已答复", created_at=routed - timedelta(days=1),
                created_by="bench", closed_at=closed,
            ))  # fmt: skip
        DataNeed.objects.bulk_create(needs, batch_size=2000)

        # Calls: a month of daily counts over part of the grants, busy on working days.
        used = rng.sample(sorted({(g.resource_id, g.app_id) for g in grants}), min(usage_pairs, len(grants)))
        usage = 0
        rows: list[UsageDay] = []
        for rid, app in used:
            volume = rng.randint(5, 300)
            for back in range(usage_days):
                day = today - timedelta(days=back)
                calls = int(volume * rng.uniform(0.5, 1.5)) // (1 if day.weekday() < 5 else 8)
                rows.append(UsageDay(resource_id=rid, app_id=app, day=day, calls=calls,
                                     answered=calls - calls // 30, rows=calls * 2))  # fmt: skip
            if len(rows) >= 20_000:
                UsageDay.objects.bulk_create(rows, batch_size=5000)
                usage += len(rows)
                rows.clear()
        UsageDay.objects.bulk_create(rows, batch_size=5000)
        usage += len(rows)

        # Funds recovered (PRJ-F2, PRJ-F4) from a few of the paid projects.
        paid = sorted(set(LedgerEntry.objects.filter(kind="payment").values_list("project_id", "amount")))
        recoveries = LedgerEntry.objects.bulk_create(
            LedgerEntry(project_id=pid, kind="recovery", amount=amount, booked_on=today - timedelta(days=10),
                        reference="收回通知〔基准〕", created_by="bench")
            for pid, amount in rng.sample(paid, min(recoveries_of, len(paid)))
        )  # fmt: skip

        # Third-party and public-feedback scores for a third of the departments, this month.
        external = ExternalScore.objects.bulk_create(
            ExternalScore(jurisdiction_id=d.jurisdiction_id, department_id=d.pk, month=first, source=source,
                          score=Decimal(rng.randrange(6000, 10000)) / 100, basis="基准测试评估报告",
                          entered_by="bench")
            for d in depts[::3]
            for source in ("third_party", "public_feedback")
        )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    states = Counter(r.state for r in requests)
    figures = {
        "items": items,
        "items_linked": len(link),
        "duplicate_items": duplicates,
        "element_conflicts": len(made_conflicts),
        "element_conflicts_open": sum(c.state == "open" for c in made_conflicts),
        "consumer_apps": len(apps),
        "share_requests": len(requests),
        "share_requests_by_state": dict(sorted(states.items())),
        "grants": len(grants),
        "objections": len(objections),
        "needs_routed": len(needs),
        "usage_pairs": len(used),
        "usage_days": usage_days,
        "usage_rows": usage,
        "recoveries": len(recoveries),
        "external_scores": len(external),
        "generate_s": round(time.perf_counter() - started, 1),
    }
    log(f"scoring fixture: {json.dumps(figures, ensure_ascii=False)}")
    return figures


# --- the measurements --------------------------------------------------------------------------------------


@contextmanager
def timing(seconds: dict[str, float]) -> Iterator[None]:
    """Time the parts of ``snapshot_build`` into ``seconds`` (accumulated) while inside, by wrapping the
    module-level functions it calls; restored on the way out."""
    from sanbu.scoring import facts, services, trees

    wrapped: list[tuple[Any, str, Any]] = []

    def wrap(module: Any, name: str, key: str) -> None:
        original = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[key] += time.perf_counter() - t0

        wrapped.append((module, name, original))
        setattr(module, name, timed)

    for part in FACT_PARTS:
        wrap(facts, part, f"facts{part}")
    wrap(services, "departments_of", "departments")
    wrap(services, "department_facts", "facts")
    wrap(trees, "score", "scoring")
    wrap(services, "tasks_at", "tasks")
    wrap(services, "_digest", "digest")
    try:
        yield
    finally:
        for module, name, original in reversed(wrapped):
            setattr(module, name, original)


def build_once(tree: str, month: str) -> dict[str, Any]:
    from sanbu.core.actor import SYSTEM
    from sanbu.scoring.models import Facts, Score, Task
    from sanbu.scoring.services import snapshot_build

    seconds: dict[str, float] = defaultdict(float)
    gc.collect()
    load = round(os.getloadavg()[0], 2)
    with timing(seconds):
        t0, cpu0 = time.perf_counter(), time.process_time()
        snap = snapshot_build(actor=SYSTEM, jurisdiction=CITY, month=month, tree=tree)
        total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    measured = ("departments", "facts", "scoring", "tasks", "digest")
    breakdown = {
        "departments_s": seconds["departments"],
        "facts_s": seconds["facts"],
        "facts_by_part_s": {part.lstrip("_"): round(seconds[f"facts{part}"], 3) for part in FACT_PARTS},
        "scoring_s": seconds["scoring"],
        "tasks_s": seconds["tasks"],
        "digest_s": seconds["digest"],
        "writes_s": total - sum(seconds[k] for k in measured),
    }
    tasks = Counter(Task.objects.filter(snapshot=snap).values_list("kind", flat=True))
    return {
        "tree": snap.tree,
        "total_s": round(total, 3),
        "cpu_s": round(cpu, 3),
        "seconds_recorded": snap.seconds,
        **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in breakdown.items()},
        "departments": snap.departments,
        "rows_written": {
            "scores": Score.objects.filter(snapshot=snap).count(),
            "facts": Facts.objects.filter(snapshot=snap).count(),
            "tasks": sum(tasks.values()),
        },
        "tasks_by_kind": dict(sorted(tasks.items())),
        "digest": snap.digest,
        "load_average_before": load,
        "snapshot_id": snap.pk,
    }


def facts_totals(snapshot_id: int) -> dict[str, float]:
    """The jurisdiction's facts of a snapshot (sums over the departments): shows the fixture feeds them all."""
    from sanbu.scoring.models import Facts

    total: dict[str, float] = defaultdict(float)
    for values in Facts.objects.filter(snapshot_id=snapshot_id).values_list("values", flat=True):
        for key, v in values.items():
            if v is not None:
                total[key] += v
    return {k: round(v, 2) for k, v in sorted(total.items())}


def profile(tree: str, month: str) -> dict[str, Any]:
    """cProfile of one build: the heaviest functions by cumulative and own time, and the platform's own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sanbu.core.actor import SYSTEM
    from sanbu.scoring.services import snapshot_build

    def top(prof: cProfile.Profile, key: str, n: int, only: str = "") -> list[dict[str, Any]]:
        stats = pstats.Stats(prof, stream=io.StringIO())
        rows = []
        for (file, line, fn), (_cc, calls, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            where = file.split("site-packages/")[-1].split("/src/")[-1]
            if not only or where.startswith(only):
                rows.append({"function": f"{where}:{line}({fn})", "calls": calls, "own_s": round(tt, 4),
                             "cumulative_s": round(ct, 4)})  # fmt: skip
        rows.sort(key=lambda r: -r[key])
        return rows[:n]

    gc.collect()
    with CaptureQueriesContext(connection) as captured:
        prof = cProfile.Profile()
        prof.enable()
        snapshot_build(actor=SYSTEM, jurisdiction=CITY, month=month, tree=tree)
        prof.disable()
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:8]
    return {
        "note": "cProfile slows the build down; compare the functions with each other",
        "tree": tree,
        "queries": len(captured),
        "slowest_queries": [{"s": float(q["time"]), "sql": q["sql"][:400]} for q in slowest],
        "by_cumulative": top(prof, "cumulative_s", 25),
        "by_own": top(prof, "own_s", 15),
        "sanbu_by_cumulative": top(prof, "cumulative_s", 25, "sanbu/"),
    }


def run(trees: list[str], month: str, repeat: int) -> dict[str, dict[str, Any]]:
    """Each tree built ``repeat`` times, the trees taking turns; the fastest build of each, with every
    run's time and digest."""
    runs: dict[str, list[dict[str, Any]]] = {t: [] for t in trees}
    for n in range(repeat):
        for tree in trees:
            result = build_once(tree, month)
            runs[tree].append(result)
            log(f"{tree}, run {n + 1}: {result['total_s']} s (facts {result['facts_s']} s "
                f"{result['facts_by_part_s']}, tasks {result['tasks_s']} s, writes {result['writes_s']} s), "
                f"digest {result['digest'][:16]}")  # fmt: skip
    best: dict[str, dict[str, Any]] = {}
    for tree, results in runs.items():
        digests = [r["digest"] for r in results]
        best[tree] = min(results, key=lambda r: r["total_s"])
        best[tree]["runs_s"] = [r["total_s"] for r in results]
        best[tree]["digests"] = digests
        best[tree]["digest_stable"] = len(set(digests)) == 1
        best[tree]["snapshot_id"] = results[-1]["snapshot_id"]  # the one kept (each build replaces the last)
        best[tree]["goal_s"] = GOAL_S
        best[tree]["met"] = best[tree]["total_s"] < GOAL_S
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=500)
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--objections", type=int, default=2_000)
    parser.add_argument("--needs", type=int, default=3_000)
    parser.add_argument(
        "--usage-pairs", type=int, default=6_000, help="(resource, app) pairs with daily calls"
    )
    parser.add_argument("--usage-days", type=int, default=30)
    parser.add_argument("--items-per-resource", type=int, default=3)
    parser.add_argument("--linked-items", type=int, default=4_000)
    parser.add_argument("--duplicates", type=int, default=300)
    parser.add_argument("--conflicts", type=int, default=150)
    parser.add_argument("--recoveries", type=int, default=60, help="recovery entries in the funds ledger")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="builds of each tree; the fastest is reported")
    parser.add_argument("--profile", action="store_true", help="profile even when the goal is met")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args()

    var_dir = args.keep or Path(tempfile.mkdtemp(prefix="sanbu-bench-scoring-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        setup_django(var_dir)
        from django.db import connections
        from django.utils import timezone

        from sanbu.scoring.services import tree_for

        fixture = generate(args.departments, args.resources, args.projects, args.seed)
        fixture |= generate_scoring(
            random.Random(args.seed + 7), args.requests, args.objections, args.needs, args.usage_pairs,
            args.usage_days, args.items_per_resource, args.linked_items, args.duplicates, args.conflicts,
            args.recoveries,
        )  # fmt: skip
        gc.collect()
        gc.freeze()  # the fixture's objects stay alive: keep them out of the collector's way
        month = f"{timezone.localdate():%Y-%m}"
        trees = [tree_for(CITY), ALTERNATIVE]
        log(f"building the {month} snapshot of {CITY} on {', '.join(trees)}, {args.repeat} times each")
        best = run(trees, month, args.repeat)
        totals = facts_totals(best[trees[0]]["snapshot_id"])
        met = all(b["met"] for b in best.values())
        stable = all(b["digest_stable"] for b in best.values())
        prof = None
        if args.profile or not met:
            log("profiling (the goal was missed or --profile)")
            prof = profile(trees[0], month)
        connections.close_all()
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)

    main_tree = best[trees[0]]
    out: dict[str, Any] = {
        "fixture": fixture,
        "month": month,
        "jurisdiction": CITY,
        "snapshot": main_tree,
        "snapshot_dimensions": best[ALTERNATIVE],
        "both_trees_s": round(sum(b["total_s"] for b in best.values()), 3),
        "jurisdiction_facts": totals,
        "goal_s": GOAL_S,
        "met": met,
        "digest_stable": stable,
        "goals": {
            "snapshot_under_10_s": {
                "goal_s": GOAL_S,
                **{f"{t}_s": b["total_s"] for t, b in best.items()},
                "met": met,
            },
            "same_digest_every_run": stable,
        },
        "database": "sqlite",
        "machine": machine(),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    if prof is not None:
        out["profile"] = prof
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"{trees[0]}: {main_tree['total_s']} s, {ALTERNATIVE}: {best[ALTERNATIVE]['total_s']} s "
        f"(goal {GOAL_S} s: {'met' if met else 'MISSED'}); digest stable: {stable}")  # fmt: skip
    log(f"wrote {args.output}")
    return 0 if stable else 1


if __name__ == "__main__":
    sys.exit(main())
