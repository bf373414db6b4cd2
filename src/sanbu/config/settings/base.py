"""Settings shared by every environment.

Only two things are read from the environment: ``DATABASE_URL`` (SQLite under ``var/`` when absent)
and ``SANBU_SECRET_KEY``. ``DATASTORE_URL`` optionally puts the mounted data elsewhere; by default it
is the same PostgreSQL database, or a second SQLite file beside the first (SQLite allows one writer
per file, and a mount writes both at once).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

SRC_DIR = Path(__file__).resolve().parents[3]
PROJECT_DIR = SRC_DIR.parent
VAR_DIR = Path(os.environ.get("SANBU_VAR_DIR", PROJECT_DIR / "var"))

DEFAULT_SECRET_KEY = "sanbu-insecure-default-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SANBU_SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("SANBU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "ninja",
    "sanbu.core",
    "sanbu.orgs",
    "sanbu.catalog",
    "sanbu.datastore",
    "sanbu.exchange",
    "sanbu.inventory",
    "sanbu.projects",
    "sanbu.scoring",
    "sanbu.web",
    "sanbu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sanbu.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sanbu.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sanbu.core.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sanbu.config.urls"
WSGI_APPLICATION = "sanbu.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sanbu.web.context.platform",
            ],
        },
    },
]


SQLITE_MMAP_BYTES = 1 << 30  # reads straight from the page cache, no read() per page


def _database(url: str, *, synchronous: str = "FULL") -> dict[str, object]:
    """SQLite runs in WAL mode (readers never wait for the writer). ``synchronous=FULL`` on the main
    database fsyncs every commit, so a committed change record survives a power loss, not only a killed
    process; the gateway's group commit pays that once per batch (docs/gateway.md). The datastore holds
    mounted copies that can be re-mounted, so it takes ``NORMAL``."""
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if str(config["ENGINE"]).endswith("sqlite3"):
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                f"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA mmap_size={SQLITE_MMAP_BYTES}"
            ),
        }
        # Kept open per worker thread: opening a SQLite connection (and its pragmas) on every request
        # cost the gateway about a quarter of its time (docs/gateway.md).
        config["CONN_MAX_AGE"] = 600
        config["CONN_HEALTH_CHECKS"] = True
    return config


VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'sanbu.sqlite3'}")
_default_db = _database(DATABASE_URL)
# True when the datastore alias is a second connection to the default database: its tables are then
# created by a plain `sanbu migrate` too (both aliases share one django_migrations table).
DATASTORE_SHARED = False
if "DATASTORE_URL" in os.environ:
    _datastore_db = _database(os.environ["DATASTORE_URL"])
elif str(_default_db["ENGINE"]).endswith("sqlite3"):
    _datastore_db = _database(f"sqlite:///{VAR_DIR / 'datastore.sqlite3'}", synchronous="NORMAL")
else:
    DATASTORE_SHARED = True
    _datastore_db = dict(_default_db)
    _datastore_db["TEST"] = {"NAME": f"test_{_default_db['NAME']}_datastore"}
DATABASES = {"default": _default_db, "datastore": _datastore_db}
DATABASE_ROUTERS = ["sanbu.datastore.router.DatastoreRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "sanbu" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

# Demo conveniences (printed accounts, sample data command) are enabled only by the demo settings.
SANBU_DEMO = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
