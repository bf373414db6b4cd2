from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from sanbu.core.admin import AuditedAdmin

from .models import Department, Jurisdiction, Profile, Role, RoleAssignment


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to")
    search_fields = ("code", "name")
    list_filter = ("level",)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("name", "uscc", "jurisdiction", "is_active")
    search_fields = ("name", "uscc")
    autocomplete_fields = ("jurisdiction",)
    readonly_fields = ("uscc",)  # the code is checked by the service that registers a department

    def has_add_permission(self, request: object) -> bool:
        return False  # departments are registered through the service (USCC check, audit record)


@admin.register(Role)
class RoleAdmin(AuditedAdmin):
    list_display = ("code", "name", "scope_kind")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedAdmin):
    list_display = ("user", "role", "jurisdiction", "department")
    list_filter = ("role",)
    autocomplete_fields = ("jurisdiction", "department")


@admin.register(Profile)
class ProfileAdmin(AuditedAdmin):
    list_display = ("user", "department", "display_name")
    autocomplete_fields = ("department",)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    """Accounts change permissions: every edit is in the audit chain (never the password hash)."""

    audit_exclude = ("password",)
