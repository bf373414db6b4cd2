from __future__ import annotations

from django.test import override_settings

from sanbu.datastore.router import DatastoreRouter


def test_separate_datastore_migrates_only_there() -> None:
    router = DatastoreRouter()
    with override_settings(DATASTORE_SHARED=False):
        assert router.allow_migrate("datastore", "datastore")
        assert not router.allow_migrate("default", "datastore")
        assert not router.allow_migrate("datastore", "catalog")


def test_shared_database_creates_datastore_tables_through_default() -> None:
    """One PostgreSQL database for both aliases: `sanbu migrate` alone must create the row tables,
    since the datastore alias would find the migration already recorded."""
    router = DatastoreRouter()
    with override_settings(DATASTORE_SHARED=True):
        assert router.allow_migrate("default", "datastore")
        assert router.allow_migrate("datastore", "datastore")
        assert not router.allow_migrate("datastore", "catalog")
