from __future__ import annotations

from django.db import models


class DataRow(models.Model):
    """One record of a mounted resource, on the ``datastore`` database alias.

    ``resource_id``/``mount_id`` refer to catalog rows on the default alias (no cross-database FK).
    ``key`` holds the value of the resource's key item for indexed lookups (its blind index when the
    key is stored encrypted); ``view`` the row's masked view for bulk extracts (``maskedview``).
    """

    resource_id = models.BigIntegerField()
    mount_id = models.BigIntegerField()
    row_no = models.PositiveIntegerField()
    key = models.CharField(max_length=64, blank=True)
    data = models.JSONField()
    view = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["resource_id", "key"]),
            models.Index(fields=["mount_id", "row_no"]),
            # key lookups (gateway): equality on mount and key, in row order, whatever the statistics say
            models.Index(fields=["mount_id", "key", "row_no"], name="datastore_mount_key"),
            # bulk extracts page through a mount in id order from a watermark (gateway extracts)
            models.Index(fields=["mount_id", "id"], name="datastore_mount_id_watermark"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}#{self.row_no}"
