from django.contrib import admin

from sanbu.core.admin import ReadOnlyAdmin

from .models import DataElement, ElementConflict, Resource, ResourceVersion


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
