"""The policy core imports no Django, so rules stay pure and testable (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import sanbu.policy


def test_policy_never_imports_django() -> None:
    root = Path(sanbu.policy.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in {"django", "ninja"}]
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if n.startswith("sanbu.") and not n.startswith("sanbu.policy")
            ]
    assert offenders == []
