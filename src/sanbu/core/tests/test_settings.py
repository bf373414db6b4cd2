"""Production settings refuse to start with a default secret key or DEBUG on; demo features stay off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD_KEY = "k" * 20 + "-production-secret-0123456789"
FIELD_KEYS = {"SANBU_FIELD_KEYS": "k1:" + "ab" * 16, "SANBU_BLIND_KEY": "cd" * 16}


def _load(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {"PATH": os.environ.get("PATH", ""), "SANBU_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "sanbu.config.settings.prod", **env}  # fmt: skip
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SANBU_DEMO)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, check=False)


def test_default_secret_key_refused(tmp_path: Path) -> None:
    proc = _load(tmp_path)
    assert proc.returncode != 0 and "SANBU_SECRET_KEY" in proc.stderr


def test_short_secret_key_refused(tmp_path: Path) -> None:
    assert _load(tmp_path, SANBU_SECRET_KEY="short").returncode != 0


def test_debug_refused(tmp_path: Path) -> None:
    proc = _load(tmp_path, SANBU_SECRET_KEY=GOOD_KEY, SANBU_DEBUG="1", **FIELD_KEYS)
    assert proc.returncode != 0 and "DEBUG" in proc.stderr


def test_field_keys_required(tmp_path: Path) -> None:
    proc = _load(tmp_path, SANBU_SECRET_KEY=GOOD_KEY)
    assert proc.returncode != 0 and "SANBU_FIELD_KEYS" in proc.stderr


def test_good_production_settings_start_without_demo(tmp_path: Path) -> None:
    proc = _load(tmp_path, SANBU_SECRET_KEY=GOOD_KEY, **FIELD_KEYS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("module", ["sanbu.config.settings.demo", "sanbu.config.settings.test"])
def test_demo_features_only_under_demo_settings(module: str) -> None:
    import importlib

    assert importlib.import_module(module).SANBU_DEMO is True


def test_sanbu_command_defaults_to_settings_without_demo(tmp_path: Path) -> None:
    """`sanbu load_demo` run against a database without choosing the demo settings refuses."""
    env = {"PATH": os.environ.get("PATH", ""), "SANBU_VAR_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "sanbu.manage", "load_demo"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode != 0 and "SANBU_DEMO" in proc.stderr


def test_wsgi_defaults_to_production_settings(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "SANBU_VAR_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", "import sanbu.config.wsgi"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode != 0 and "SANBU_SECRET_KEY" in proc.stderr
