"""Gateway benchmark: key lookups through granian with and without the gateway's guarantees, and bulk
extracts, over 1,000,000 persons. Writes ``bench/results/gateway.json``.

    .venv/bin/python bench/run_gateway.py [--persons 1000000] [--duration 15] [--connections 32]
                                          [--threads 8] [--database-url postgres://…]

Everything happens in a fresh temporary directory (SANBU_VAR_DIR) with the bench-only settings
(``bench/benchsite``: the demo settings with DEBUG off, the production database settings, and
one bench-only URL). Steps:

1. migrate, ``load_demo``, then ``generate_base_data --persons N`` (the 人口 resource 全员人口基础信息,
   重要数据: identifying items stored SM4-encrypted, the key by its blind index);
2. a consumer app with a key and a grant on every item of it (masked by each item's rule);
3. granian (WSGI, 2 workers × ``--threads``), then wrk (``-t1 -c<connections>``, random existing
   公民身份号码 from a file) against the bench-only bare lookup, then the full gateway;
4. a full masked extract as CSV and as Parquet, read by a client in this process.

Server and load share the machine's cores, as in TOOLCHAIN.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent
RESULTS = BENCH_DIR / "results" / "gateway.json"
SETTINGS = "benchsite.settings"
PERSONS_RESOURCE = "全员人口基础信息"


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def bench_env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATASTORE_URL")}
    env.update(
        SANBU_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=SETTINGS,
        PYTHONPATH=os.pathsep.join([str(BENCH_DIR), str(ROOT / "src"), env.get("PYTHONPATH", "")]),
    )  # fmt: skip
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def setup(env: dict[str, str], persons: int, orgs: int) -> float:
    os.environ.update(env)
    for p in (str(BENCH_DIR), str(ROOT / "src")):
        if p not in sys.path:
            sys.path.insert(0, p)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":  # a throwaway database: everything in it is dropped first
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    marker = Path(env["SANBU_VAR_DIR"]) / f"generated-{persons}"
    if marker.exists():  # --keep with data already generated: reuse it
        return 0.0
    for alias in ("default", "datastore"):
        call_command("migrate", database=alias, verbosity=0)
    started = time.perf_counter()
    sanbu = [str(BIN / "sanbu")]
    subprocess.run([*sanbu, "load_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    if not (ROOT / "src/sanbu/demo/management/commands/generate_base_data.py").exists():
        raise SystemExit("generate_base_data is missing: this bench needs src/sanbu/demo's base data command")
    log(f"generate_base_data --persons {persons:,}")
    subprocess.run(
        [*sanbu, "generate_base_data", "--persons", str(persons), "--orgs", str(orgs), "--licences", "0"],
        env=env, check=True,
    )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    from django.db import connections

    with connections["datastore"].cursor() as cur:
        cur.execute("ANALYZE")
    marker.write_text("1")
    return time.perf_counter() - started


def consumer_with_grant() -> dict[str, Any]:
    from sanbu.catalog.models import MountKind, Resource, ResourceMount
    from sanbu.core.testing import actor_of, make_department, make_user
    from sanbu.exchange import services
    from sanbu.exchange.models import ConsumerApp
    from sanbu.exchange.tests.gateway_world import grant_for

    resource = Resource.objects.get(name=PERSONS_RESOURCE)
    Resource.objects.filter(name=PERSONS_RESOURCE).values_list("pk", flat=True)
    n = ConsumerApp.objects.filter(name__startswith="压测应用").count()
    from sanbu.core import testing

    testing._seq = itertools.count(1000 + 100 * n)  # unique USCCs when a kept world is reused
    consumer = make_department(f"淄博市民政局（压测{n}）")
    actor = actor_of(make_user(f"bench-consumer-{n}", department=consumer, roles=("steward", "consumer")))
    app = services.app_register(actor=actor, name=f"压测应用{n}")
    ConsumerApp.objects.filter(pk=app.pk).update(rate_limit_per_minute=1_000_000_000)
    issued = services.key_issue(actor=actor, app_id=app.pk)
    names = list(resource.items.order_by("position", "id").values_list("name", flat=True))
    grant = grant_for(actor, app, resource, names)
    mount = ResourceMount.objects.get(resource=resource, is_current=True, kind=MountKind.ROWS)
    return {"resource": resource.pk, "mount": mount.pk, "key": issued.plaintext, "grant": grant.pk,
            "items": names, "data_grade": resource.data_grade, "rows": mount.row_count}  # fmt: skip


def sample_keys(mount_id: int, n: int, seed: int) -> list[str]:
    """``n`` existing 公民身份号码 of the mount (decrypted from the rows: the key column holds a blind index)."""
    from django.db import connections

    from sanbu.datastore import loading, lookup

    low, high = lookup.mount_bounds(mount_id)
    rng = random.Random(seed)
    ids = rng.sample(range(low, high + 1), min(n, high - low + 1))
    out: list[str] = []
    with connections["datastore"].cursor() as cur:
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            cur.execute(
                f"SELECT data FROM datastore_datarow WHERE id IN ({','.join(['%s'] * len(part))})", part
            )
            for (data,) in cur.fetchall():
                row = json.loads(data) if isinstance(data, str) else data
                out.append(str(loading.read_value(row["公民身份号码"])))
    return out


# --- server and load ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "--no-ws", "--workers", str(workers),
         "--blocking-threads", str(threads), "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "sanbu.config.wsgi:application"],
        env=env, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("granian exited at start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/gateway/v1/resources/1/records")
            conn.getresponse().read()
            conn.close()
            return proc
        except OSError:
            time.sleep(0.2)
    raise SystemExit("granian did not start in time")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _ms(text: str) -> float:
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return round(value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit], 2)


def wrk(
    port: int, prefix: str, token: str, keys_file: Path, duration: int, connections: int
) -> dict[str, Any]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(BENCH_DIR / "gateway.lua"),
           f"http://127.0.0.1:{port}", "--", prefix, token or "-", str(keys_file)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "rps": round(rps, 1), "p50_ms": _ms(lat.get("50", "")), "p99_ms": _ms(lat.get("99", "")),
        "requests": int(total.group(1)) if total else None, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }  # fmt: skip


def check_call(port: int, path: str, token: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
    resp = conn.getresponse()
    return resp.status, resp.read()


def extract(port: int, resource: int, token: str, fmt: str) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", f"/gateway/v1/resources/{resource}/extract?format={fmt}",
                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    resp = conn.getresponse()
    first = None
    size = 0
    while True:
        chunk = resp.read(1 << 20)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    seconds = time.perf_counter() - started
    rows = int(resp.headers.get("X-Sanbu-Rows") or 0)
    if resp.status != 200:
        raise SystemExit(f"extract {fmt} answered {resp.status}")
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds) if seconds else None,
            "bytes": size, "first_byte_ms": round((first or 0) * 1000, 1)}  # fmt: skip


def machine() -> dict[str, Any]:
    import sqlite3

    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=1_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="granian --blocking-threads per worker")
    parser.add_argument("--keys", type=int, default=20_000, help="distinct keys the load picks from")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--keep", type=Path, help="generate into this directory and keep it (reused if present)"
    )
    parser.add_argument(
        "--database-url", help="run on this PostgreSQL database instead (ALL ITS TABLES ARE DROPPED)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    var_dir = args.keep or Path(tempfile.mkdtemp(prefix="sanbu-bench-gateway-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    env = bench_env(var_dir, args.database_url)
    server = None
    try:
        generate_s = setup(env, args.persons, args.orgs)
        world = consumer_with_grant()
        keys = sample_keys(world["mount"], args.keys, args.seed)
        keys_file = var_dir / "keys.txt"
        keys_file.write_text("\n".join(keys) + "\n")
        from django.db import connection, connections

        database = connection.vendor
        connections.close_all()
        log(f"{world['rows']:,} persons in {generate_s:.0f} s; serving")

        port = free_port()
        server = start_server(env, port, args.workers, args.threads)
        rid, token = world["resource"], world["key"]
        bare_prefix = f"/bench/bare/{rid}/records?key="
        gw_prefix = f"/gateway/v1/resources/{rid}/records?key="
        status, body = check_call(port, gw_prefix + keys[0], token)
        assert status == 200 and json.loads(body)["total"] == 1, (status, body[:300])
        status, body = check_call(port, bare_prefix + keys[0], "")
        assert status == 200 and json.loads(body)["total"] == 1, (status, body[:300])
        log("warm-up")
        wrk(port, gw_prefix, token, keys_file, 3, args.connections)
        wrk(port, bare_prefix, "", keys_file, 3, args.connections)
        log("bare lookups")
        bare = wrk(port, bare_prefix, "", keys_file, args.duration, args.connections)
        log(f"bare {bare}")
        log("gateway")
        gateway = wrk(port, gw_prefix, token, keys_file, args.duration, args.connections)
        log(f"gateway {gateway}")
        log("extracts")
        csv_x = extract(port, rid, token, "csv")
        log(f"csv {csv_x}")
        parquet_x = extract(port, rid, token, "parquet")
        log(f"parquet {parquet_x}")
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)

    out = {
        "persons": world["rows"],
        "data_grade": world["data_grade"],
        "granted_items": world["items"],
        "server": f"granian WSGI, {args.workers} workers x {args.threads} threads",
        "database": database + (" (WAL; synchronous=FULL on the main database, NORMAL on the datastore)" if database == "sqlite" else ""),
        "load_tool": f"wrk -t1 -c{args.connections} -d{args.duration}s, random keys of {len(keys):,} persons, "
        "same machine",
        "bare_rps": bare["rps"],
        "gateway_rps": gateway["rps"],
        "ratio": round(gateway["rps"] / bare["rps"], 3) if bare["rps"] else None,
        "bare": bare,
        "gateway": gateway,
        "p50_ms": {"bare": bare["p50_ms"], "gateway": gateway["p50_ms"]},
        "p99_ms": {"bare": bare["p99_ms"], "gateway": gateway["p99_ms"]},
        "extract_rows_per_s": csv_x["rows_per_s"],
        "extract_csv": csv_x,
        "extract_parquet": parquet_x,
        "extract_parquet_rows_per_s": parquet_x["rows_per_s"],
        "generate_s": round(generate_s, 1),
        "machine": machine(),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "day": date.today().isoformat(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
