from typing import Any

from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"actor": getattr(request, "actor", None), "platform_name": "三不 · 政务数据共享与项目治理平台"}
