"""kill -9 under load loses no record of an answered call.

A real server (granian, WSGI, 2 workers with several threads each) on a temporary database serves a
few hundred gateway calls from client threads and is killed with SIGKILL mid-load. Every call that got
a 200 must have its access record in the chain (matched by the X-Request-ID the client sent), and the
chain must verify. No pytest-django database: the server and the checks run in subprocesses with the
demo settings against their own database: SQLite files in a temporary directory always, and, when the
suite runs with ``DATABASE_URL=postgres://…``, a throwaway PostgreSQL database created beside it.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get("DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL.startswith(("postgres://", "postgresql://")) else [])

BIN = Path(sys.executable).parent
GRANIAN = BIN / "granian"

SETUP = """
import json, django
django.setup()
from sanbu.exchange.tests.gateway_world import build, person_id
w = build(n=20, rate_limit=1_000_000)
print(json.dumps({"key": w.key, "resource": w.resource.pk, "ids": [person_id(i) for i in range(20)]}))
"""

CHECK = """
import json, django
django.setup()
from sanbu.core.audit import verify_chain
from sanbu.core.models import ChangeRecord
count, problem = verify_chain()
rids = list(ChangeRecord.objects.filter(action="gateway.access").values_list("request_id", flat=True))
print(json.dumps({"count": count, "problem": problem.message if problem else None, "rids": rids}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(code: str, env: dict[str, str]) -> Any:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited at start-up"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/gateway/v1/resources/1/records")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start in time")


def _pg_admin(sql: str) -> None:
    """Run one statement on the suite's PostgreSQL database (the role may create databases)."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.encode())


def _pg_database(name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(PG_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def server_env(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "DATASTORE_URL"):
        env.pop(name, None)
    env.update(DJANGO_SETTINGS_MODULE="sanbu.config.settings.demo", SANBU_VAR_DIR=str(tmp_path))
    if request.param == "sqlite":
        yield env
        return
    name = f"sanbu_kill9_{os.getpid()}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = _pg_database(name)
    try:
        yield env
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(not GRANIAN.exists(), reason="granian is not installed in this environment")
@pytest.mark.parametrize("server_env", BACKENDS, indirect=True)
def test_kill_9_under_load_loses_no_answered_record(server_env: dict[str, str]) -> None:
    env = server_env
    for args in (["migrate"], ["migrate", "--database", "datastore"]):
        subprocess.run(
            [str(BIN / "sanbu"), *args, "-v", "0"], env=env, check=True, timeout=180, capture_output=True
        )
    world = _run(SETUP, env)

    port = _free_port()
    server = subprocess.Popen(
        [str(GRANIAN), "--interface", "wsgi", "--workers", "2", "--blocking-threads", "8",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "sanbu.config.wsgi:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    answered: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        _wait_ready(port, server, time.monotonic() + 60)

        def client(n: int) -> None:
            conn: http.client.HTTPConnection | None = None
            for i in range(200):
                if stop.is_set():
                    return
                rid = f"kill9-{n:02d}-{i:04d}"
                pid = world["ids"][(n + i) % len(world["ids"])]
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request(
                        "GET", f"/gateway/v1/resources/{world['resource']}/records?key={pid}",
                        headers={"Authorization": f"Bearer {world['key']}", "X-Request-ID": rid},
                    )  # fmt: skip
                    resp = conn.getresponse()
                    body = resp.read()
                    with lock:
                        (answered if resp.status == 200 and b'"records"' in body else failed).append(rid)
                except (OSError, http.client.HTTPException):
                    with lock:
                        failed.append(rid)
                    conn = None
                    if stop.is_set():
                        return
                    time.sleep(0.05)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # kill once a good part of the load has been answered
            with lock:
                if len(answered) >= 300:
                    break
            time.sleep(0.01)
        os.killpg(server.pid, signal.SIGKILL)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(15)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)

    assert len(answered) >= 50, f"too few calls answered before the kill ({len(answered)})"
    assert failed, "the server was not killed mid-load"
    print(f"kill -9: {len(answered)} answered, {len(failed)} cut off")
    result = _run(CHECK, env)
    assert result["problem"] is None, result["problem"]
    recorded = set(result["rids"])
    missing = [rid for rid in answered if rid not in recorded]
    assert not missing, f"{len(missing)} answered calls have no access record, e.g. {missing[:5]}"
