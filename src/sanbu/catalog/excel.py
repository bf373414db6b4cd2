"""Catalog Excel import and export (the department template ``catalog_template.xlsx``).

The one entry point for the command, the web page and the API:

- ``catalog_import(*, actor, file, dry_run=False, progress=None) -> ImportReport``
- ``catalog_export(*, actor, department_id, stream) -> ExportResult``

Column layout and cell parsing live in ``sheet``; the import in ``importing``; the export in ``exporting``.
"""

from __future__ import annotations

from .exporting import ExportResult, catalog_export
from .importing import ImportReport, ImportRowError, PlannedChange, Progress, catalog_import, parse_workbook
from .sheet import TEMPLATE_PATH

__all__ = [
    "TEMPLATE_PATH",
    "ExportResult",
    "ImportReport",
    "ImportRowError",
    "PlannedChange",
    "Progress",
    "catalog_export",
    "catalog_import",
    "parse_workbook",
]
