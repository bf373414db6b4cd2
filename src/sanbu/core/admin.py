from typing import Any

from django.contrib import admin
from django.db import transaction

from . import audit
from .actor import request_actor
from .models import ChangeRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through services (and so the audit chain): the admin is for looking."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "actor_username", "action", "object_type", "object_id", "request_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_username", "request_id")


class AuditedAdmin(admin.ModelAdmin):
    """Edits made in the admin go into the audit chain like any service's (admin views are atomic)."""

    audit_exclude: tuple[str, ...] = ()

    def _snapshot(self, obj: Any) -> dict[str, Any]:
        names = [f.attname for f in obj._meta.concrete_fields if f.name not in self.audit_exclude]
        return audit.snapshot(obj, names)

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        before = self._snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        action = f"admin.{obj._meta.label_lower}.{'change' if change else 'add'}"
        audit.record(
            actor=request_actor(request), action=action, obj=obj, before=before, after=self._snapshot(obj)
        )

    def delete_model(self, request: Any, obj: Any) -> None:
        self._record_deletes(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        with transaction.atomic():
            self._record_deletes(request, list(queryset))
            super().delete_queryset(request, queryset)

    def _record_deletes(self, request: Any, objs: list[Any]) -> None:
        audit.record_many(
            actor=request_actor(request),
            changes=[
                audit.Change(
                    action=f"admin.{o._meta.label_lower}.delete",
                    object_type=o._meta.label_lower,
                    object_id=str(o.pk),
                    object_repr=str(o)[:200],
                    before=self._snapshot(o),
                    after=None,
                )
                for o in objs
            ],
        )
