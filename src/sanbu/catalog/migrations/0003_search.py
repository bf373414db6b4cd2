"""The catalog search index (see sanbu/catalog/search.py): FTS5 tables on SQLite, a table of two tsvectors
with GIN indexes on PostgreSQL. Other databases get no table and search falls back to substring matching."""

from django.db import migrations

TOKENIZE = "tokenize = \"unicode61 remove_diacritics 0 tokenchars '_'\""
SQLITE = [
    f"CREATE VIRTUAL TABLE catalog_resource_search USING fts5(name, code, tags, items, summary, provider, {TOKENIZE})",
    f"CREATE VIRTUAL TABLE catalog_resource_names USING fts5(name, code, tags, {TOKENIZE})",
]
POSTGRESQL = [
    "CREATE TABLE catalog_resource_search (resource_id bigint PRIMARY KEY, names tsvector NOT NULL, document tsvector NOT NULL)",
    "CREATE INDEX catalog_resource_search_names ON catalog_resource_search USING gin (names)",
    "CREATE INDEX catalog_resource_search_document ON catalog_resource_search USING gin (document)",
]


def create(apps, schema_editor):
    conn = schema_editor.connection
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(conn.vendor, [])
    if not statements:
        return
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    from sanbu.catalog.search import rebuild_index

    rebuild_index(conn)


def drop(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor in ("sqlite", "postgresql"):
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS catalog_resource_search")
            cur.execute("DROP TABLE IF EXISTS catalog_resource_names")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_base_elements")]
    operations = [migrations.RunPython(create, drop)]
