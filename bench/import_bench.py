"""Catalog import benchmark: a 10,000-resource / 100,000-item workbook imported on SQLite.

``run()`` expects Django set up on a fresh, migrated database (``bench/run_catalog.py`` calls it in a child
process of its own); ``python bench/import_bench.py`` does that itself in a temporary directory and prints
the JSON. Goals (issue 3): under 15 s and under 500 MB.

Peak memory is the process's peak resident set while importing: the kernel's high-water mark is reset
just before the import (``/proc/self/clear_refs``), so the database setup and the workbook generation do
not count; ``import_peak_delta_mb`` is that peak minus the resident set just before the import.
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SETTINGS = "sanbu.config.settings.test"
RESOURCES = 10_000
ITEMS_PER_RESOURCE = 10
GOAL_SECONDS = 15.0
GOAL_MB = 500.0

SHARE_TYPES = ["无条件共享"] * 6 + ["有条件共享"] * 3 + ["不予共享"]
FORMATS = ["数据库", "电子表格", "电子文件", "服务接口"]
METHODS = ["共享平台-接口", "共享平台-文件", "共享平台-数据库"]
CYCLES = ["实时", "每日", "每周", "每月", "每季度", "半年", "每年", "不定期"]
GRADES = ["一般数据"] * 8 + ["重要数据", "核心数据"]
TYPES = ["C 字符型", "N 数值型", "D 日期型", "T 日期时间型", "I 整型", "C"]
MASKS = ["", "", "", "身份证号", "手机号", "姓名", "地址"]


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _departments() -> list[Any]:
    """About 50 departments of Zibo and its counties, with valid 统一社会信用代码."""
    sys.path.insert(0, str(BENCH_DIR))
    import catalog_data

    from sanbu.core.actor import SYSTEM
    from sanbu.core.identifiers import make_uscc
    from sanbu.orgs.models import Department, Jurisdiction
    from sanbu.orgs.services import department_create

    counties = list(
        Jurisdiction.objects.filter(code__startswith="3703", level=3)
        .exclude(name="市辖区")
        .values_list("code", "name")
    )
    depts = []
    for i, spec in enumerate(catalog_data.departments(counties)):
        uscc = make_uscc("11", spec.jurisdiction, f"{81000000 + i:08d}")
        existing = Department.objects.filter(uscc=uscc).first()
        depts.append(
            existing
            or department_create(
                actor=SYSTEM, name=spec.name, uscc=uscc, jurisdiction=spec.jurisdiction
            ).department
        )
    return depts


def generate(path: Path, depts: list[Any], n: int = RESOURCES, seed: int = 2026) -> tuple[int, int]:
    """Write the workbook (streamed) in the template's layout; names unique across the file."""
    import openpyxl

    sys.path.insert(0, str(BENCH_DIR))
    import catalog_data

    from sanbu.catalog.codes import BASE_SUBCLASSES, THEME_SUBCLASSES
    from sanbu.catalog.sheet import ITEM_COLUMNS, RESOURCE_COLUMNS

    rng = random.Random(seed)
    elements = set(catalog_data.ITEMS[:20])  # the first twenty are names of base data elements
    wb = openpyxl.Workbook(write_only=True)
    ws_res = wb.create_sheet("资源")
    ws_items = wb.create_sheet("信息项")
    ws_res.append([c.title for c in RESOURCE_COLUMNS])
    ws_items.append([c.title for c in ITEM_COLUMNS])
    used: set[str] = set()
    item_count = 0
    for i in range(n):
        d = i % len(depts)
        dept = depts[d]
        subject, aspect = rng.choice(catalog_data.SUBJECTS), rng.choice(catalog_data.ASPECTS)
        base = f"{rng.choice(catalog_data.QUALIFIERS)}{subject}{aspect}"
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}第{k}批"
        used.add(name)
        roll = rng.random()
        if roll < 0.15:
            cls, label, sub = "1", "基础信息资源", rng.choice(list(BASE_SUBCLASSES))
        elif roll < 0.35:
            cls, label, sub = "2", "主题信息资源", rng.choice(list(THEME_SUBCLASSES))
        else:
            cls, label, sub = "3", "部门信息资源", subject[:4]
        code = f"3000009{d:03d}/{i:06d}" if cls == "3" and rng.random() < 0.1 else None
        share = rng.choice(SHARE_TYPES)
        items = rng.sample(catalog_data.ITEMS, ITEMS_PER_RESOURCE)
        ws_res.append([
            name, code, label, sub, dept.name, dept.uscc,
            f"{dept.name}汇聚的{subject}{aspect}，包括{'、'.join(items[:3])}等，用于{rng.choice(catalog_data.PURPOSES)}。",
            rng.choice(FORMATS), share, "仅限依法履职使用" if share == "有条件共享" else None,
            "《中华人民共和国保守国家秘密法》" if share == "不予共享" else None, rng.choice(METHODS),
            "是" if rng.random() < 0.2 else "否", None, rng.choice(CYCLES),
            f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.5 else None,
            "非涉密", rng.choice(GRADES), f"{subject}管理系统" if rng.random() < 0.5 else None, None,
        ])  # fmt: skip
        for pos, item in enumerate(items):
            element = item if item in elements else None
            authoritative = "是" if element and (catalog_data.ITEMS.index(item) % 25) == d % 25 else "否"
            item_share = "不予共享" if share != "不予共享" and rng.random() < 0.05 else None
            ws_items.append([
                name, item, element, rng.choice(TYPES), rng.choice((18, 50, 100, 200, None)),
                "是" if pos == 0 else "否", authoritative, item_share, None, rng.choice(MASKS) or None,
            ])  # fmt: skip
            item_count += 1
    wb.save(path)
    return n, item_count


def run(resources: int = RESOURCES) -> dict[str, Any]:
    """Generate, import, import again (unchanged); figures as a dict. Django must be set up and migrated."""
    from django.db import connection

    from sanbu.catalog.excel import catalog_import
    from sanbu.catalog.models import Resource, ResourceItem
    from sanbu.core.testing import actor_of, make_user

    workdir = Path(tempfile.mkdtemp(prefix="sanbu-import-bench-"))
    try:
        t0 = time.perf_counter()
        depts = _departments()
        bureau = next(d for d in depts if d.name.endswith("大数据局"))
        actor = actor_of(
            make_user("bench-importer", department=bureau, roles=("authority",)), request_id="bench"
        )
        path = workdir / "catalog.xlsx"
        n_res, n_items = generate(path, depts, resources)
        generate_s = time.perf_counter() - t0
        connection.close()  # the import opens its own connection, as a request would

        gc.collect()
        rss_before = _status_kb("VmRSS")
        exact = _reset_peak()
        t0, cpu0 = time.perf_counter(), time.process_time()
        report = catalog_import(actor=actor, file=path, progress=lambda done, total, phase: None)
        import_s, import_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        peak_kb = _status_kb("VmHWM") if exact else None
        if peak_kb is None:
            peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if not report.ok:
            return {"error": "the generated workbook did not import", "errors": report.lines()[:20]}

        t0 = time.perf_counter()
        again = catalog_import(actor=actor, file=path)
        reimport_s = time.perf_counter() - t0
        peak_mb = peak_kb / 1024
        delta_mb = (peak_kb - rss_before) / 1024 if rss_before is not None else None
        return {
            "import_resources": Resource.objects.count(),
            "import_items": ResourceItem.objects.count(),
            "import_seconds": round(import_s, 2),
            "import_cpu_seconds": round(import_cpu, 2),
            "import_peak_mb": round(peak_mb, 1),
            "import_peak_delta_mb": round(delta_mb, 1) if delta_mb is not None else None,
            "import_peak_method": "VmHWM reset before import" if exact else "ru_maxrss (includes setup)",
            "import_created": report.created,
            "import_conflicts_opened": len(report.warnings),
            "reimport_seconds": round(reimport_s, 2),
            "reimport_unchanged": again.unchanged,
            "reimport_changed": again.created + again.updated,
            "workbook_rows": {"resources": n_res, "items": n_items},
            "workbook_mb": round(path.stat().st_size / 2**20, 1),
            "generate_seconds": round(generate_s, 2),
            "goal_seconds": GOAL_SECONDS,
            "goal_mb": GOAL_MB,
            "goal_met": import_s < GOAL_SECONDS and peak_mb < GOAL_MB,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    var_dir = Path(tempfile.mkdtemp(prefix="sanbu-bench-import-"))
    try:
        for key in ("DATABASE_URL", "DATASTORE_URL"):
            os.environ.pop(key, None)
        os.environ.update(SANBU_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=SETTINGS)
        if str(ROOT / "src") not in sys.path:
            sys.path.insert(0, str(ROOT / "src"))
        import django

        django.setup()
        from django.core.management import call_command

        for alias in ("default", "datastore"):
            call_command("migrate", database=alias, verbosity=0)
        resources = int(sys.argv[1]) if len(sys.argv) > 1 else RESOURCES
        print(json.dumps(run(resources), ensure_ascii=False, indent=2))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
