"""The OpenAPI document is kept in docs/openapi.json so every API change is deliberate and reviewed.

After an intended change: `SANBU_UPDATE_SNAPSHOT=1 .venv/bin/pytest src/sanbu/config/tests/test_openapi_snapshot.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[4] / "docs" / "openapi.json"


def _current() -> str:
    from sanbu.config.api import api

    return json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def test_openapi_matches_snapshot() -> None:
    current = _current()
    if os.environ.get("SANBU_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert SNAPSHOT.exists(), "docs/openapi.json is missing: run with SANBU_UPDATE_SNAPSHOT=1"
    assert SNAPSHOT.read_text(encoding="utf-8") == current, (
        "The API changed. If intended, run with SANBU_UPDATE_SNAPSHOT=1 and commit docs/openapi.json."
    )


def test_every_operation_has_a_summary() -> None:
    schema = json.loads(_current())
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
