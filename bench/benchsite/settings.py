"""Bench-only settings: the demo settings (synthetic data, demo field keys) with DEBUG off and the
bench-only URLconf. The databases are configured exactly as in production (``config.settings.base``:
SQLite in WAL mode, ``synchronous=FULL`` on the main database, ``NORMAL`` on the datastore), so the
figures are those of the durability the platform promises.
"""

from sanbu.config.settings.demo import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "benchsite.urls"
