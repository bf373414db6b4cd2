from typing import Any

from django.core.management.base import BaseCommand

from sanbu.catalog.search import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the catalog's full-text search index from the resources (safe at any time)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rebuild_index()
        self.stdout.write(f"已重建检索索引：{count} 条信息资源。")
