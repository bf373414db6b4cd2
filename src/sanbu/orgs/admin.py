from django.contrib import admin

from .models import Department, Jurisdiction, Profile, Role, RoleAssignment


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to")
    search_fields = ("code", "name")
    list_filter = ("level",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "jurisdiction", "is_active")
    search_fields = ("name", "uscc")
    autocomplete_fields = ("jurisdiction",)

    def has_add_permission(self, request: object) -> bool:
        return False  # departments are registered through the service (USCC check, audit record)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "scope_kind")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "jurisdiction", "department")
    list_filter = ("role",)
    autocomplete_fields = ("jurisdiction", "department")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "department", "display_name")
    autocomplete_fields = ("department",)
