from django.conf import settings


class DatastoreRouter:
    """Mounted data lives on the ``datastore`` alias; everything else on ``default``.

    When the datastore alias is only a second connection to the default database
    (``settings.DATASTORE_SHARED``), its tables may be created through either alias: both share one
    ``django_migrations`` table, so a migration recorded through one must have created the tables.
    """

    app_label = "datastore"

    def db_for_read(self, model: type, **hints: object) -> str | None:
        return "datastore" if model._meta.app_label == self.app_label else None  # type: ignore[attr-defined]

    def db_for_write(self, model: type, **hints: object) -> str | None:
        return "datastore" if model._meta.app_label == self.app_label else None  # type: ignore[attr-defined]

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: object) -> bool:
        if app_label == self.app_label:
            return db == "datastore" or bool(getattr(settings, "DATASTORE_SHARED", False))
        return db == "default"
