"""Bench-only settings: the demo settings (synthetic data, demo field keys) with DEBUG off, the bench-only
URLconf, and SQLite in WAL mode with ``synchronous=NORMAL``.

WAL + NORMAL: a commit appends to the write-ahead log without an fsync (the log is synced at each
checkpoint), so a committed transaction survives the process being killed (``kill -9``: the data is in
the OS page cache) but not a power loss or an OS crash, which can lose the last commits.
"""

from sanbu.config.settings.demo import *  # noqa: F403
from sanbu.config.settings.demo import DATABASES

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "benchsite.urls"

for _db in DATABASES.values():
    if str(_db["ENGINE"]).endswith("sqlite3"):
        _db["OPTIONS"] = {
            **dict(_db.get("OPTIONS") or {}),  # type: ignore[call-overload]
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
