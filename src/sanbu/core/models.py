from __future__ import annotations

from django.db import models


class ChangeRecord(models.Model):
    """One entry of the tamper-evident change log (NetBox ObjectChange shape, chained with SM3).

    ``hash`` = SM3 over the canonical JSON of every other field plus ``prev_hash``; editing, deleting or
    reordering a row breaks the chain, which ``sanbu verify_audit`` detects.
    """

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor_username = models.CharField(max_length=150, blank=True)
    actor_department = models.CharField(max_length=18, blank=True)
    # where the changed object lives (GB/T 2260 code), so auditors read only their jurisdiction
    jurisdiction = models.CharField(max_length=6, blank=True, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The chain's tip (one row). Writers lock it, so the chain stays linear across processes."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"
