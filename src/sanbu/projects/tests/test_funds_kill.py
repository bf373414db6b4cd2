"""kill -9 in the middle of a payment loses nothing and half-writes nothing.

A child process (``funds_kill_child.py``) on its own SQLite file pays a tranche; the change record, the
last write of ``tranche_pay``, stalls after the tranche, the ledger entry and the gate record were written
in the transaction. The parent kills it with SIGKILL and reads the file with ``sqlite3``: no payment, the
tranche still scheduled, no gate F record, the file intact; then a second child pays the tranche normally.
No pytest-django database: the children run with the test settings against the temporary file.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

CHILD = Path(__file__).with_name("funds_kill_child.py")


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATASTORE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="sanbu.config.settings.test", DATABASE_URL=f"sqlite:///{tmp / 'kill.sqlite3'}",
        SANBU_VAR_DIR=str(tmp),
    )  # fmt: skip
    return env


def test_kill_9_during_a_payment_leaves_the_tranche_unpaid_and_the_database_whole(tmp_path: Path) -> None:
    env = _env(tmp_path)
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), "setup", str(marker)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 50
        while not marker.exists():
            assert child.poll() is None, child.stderr.read()[-3000:] if child.stderr else "child exited"
            assert time.monotonic() < deadline, "the child did not reach the payment in time"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert child.stdout is not None
    ids = json.loads(child.stdout.read().strip().splitlines()[0])

    db = sqlite3.connect(tmp_path / "kill.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        state = db.execute(
            "SELECT state, paid_on, voucher FROM projects_tranche WHERE id = ?", (ids["tranche"],)
        )
        assert state.fetchone() == ("scheduled", None, "")
        assert db.execute("SELECT count(*) FROM projects_ledgerentry").fetchone()[0] == 0
        gates = db.execute("SELECT count(*) FROM projects_gaterecord WHERE project_id = ? AND gate = 'F'",
                           (ids["project"],))  # fmt: skip
        assert gates.fetchone()[0] == 0
        assert (
            db.execute(
                "SELECT count(*) FROM core_changerecord WHERE action = 'projects.tranche.pay'"
            ).fetchone()[0]
            == 0
        )
    finally:
        db.close()

    again = subprocess.run(
        [sys.executable, str(CHILD), "pay", str(ids["tranche"])], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout.strip().splitlines()[-1]) == {"state": "paid", "voucher": "K-2"}
    db = sqlite3.connect(tmp_path / "kill.sqlite3")
    try:
        assert (
            db.execute("SELECT count(*) FROM projects_ledgerentry WHERE kind = 'payment'").fetchone()[0] == 1
        )
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
