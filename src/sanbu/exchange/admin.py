from django.contrib import admin

from sanbu.core.admin import ReadOnlyAdmin

from .models import AppKey, ConsumerApp


@admin.register(ConsumerApp)
class ConsumerAppAdmin(ReadOnlyAdmin):
    list_display = ("name", "department", "system_name", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "system_name")


@admin.register(AppKey)
class AppKeyAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "app", "created_at", "expires_at", "revoked_at", "last_used_at")
    search_fields = ("key_id",)
    exclude = ("secret_hash",)
