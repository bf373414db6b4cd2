"""Test settings: fast password hashing, demo conveniences on (tests load demo fixtures)."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
SANBU_DEMO = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A file, not SQLite's shared-cache memory database: shared cache locks whole tables and ignores the
# busy timeout, so tests with two concurrent writers would fail with "table is locked".
for _alias, _db in DATABASES.items():
    if str(_db["ENGINE"]).endswith("sqlite3"):
        _db["TEST"] = {
            "NAME": os.path.join(tempfile.gettempdir(), f"sanbu-test-{os.getpid()}-{_alias}.sqlite3")
        }
