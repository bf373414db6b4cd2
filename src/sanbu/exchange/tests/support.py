"""Helpers for exchange tests: every stored text, to prove a secret never reached the database."""

from __future__ import annotations

from django.db import connections


def stored_text() -> str:
    """Every value of every row of every table, on every database alias, as one string."""
    parts: list[str] = []
    seen: set[tuple[str, str]] = set()
    for alias in connections:
        conn = connections[alias]
        with conn.cursor() as cursor:
            for table in conn.introspection.table_names(cursor):
                key = (str(conn.settings_dict["NAME"]), table)
                if key in seen:
                    continue
                seen.add(key)
                cursor.execute(f"SELECT * FROM {conn.ops.quote_name(table)}")
                for row in cursor.fetchall():
                    parts.append(repr(row))
    return "\n".join(parts)
