from typing import Any

from django.contrib import admin

from .models import DataElement, ElementConflict, Resource, ResourceVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """Catalog rows change only through services (audit chain); the admin is for looking."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "department", "state", "share_type", "mount_kind", "version")
    list_filter = ("state", "catalog_class", "share_type")
    search_fields = ("code", "name")


@admin.register(DataElement)
class DataElementAdmin(ReadOnlyAdmin):
    list_display = ("identifier", "name", "data_type", "authority", "is_base")
    search_fields = ("identifier", "name")


@admin.register(ElementConflict)
class ElementConflictAdmin(ReadOnlyAdmin):
    list_display = ("element", "incumbent", "claimant", "state", "created_at")


@admin.register(ResourceVersion)
class ResourceVersionAdmin(ReadOnlyAdmin):
    list_display = ("resource", "number", "published_at", "published_by")
