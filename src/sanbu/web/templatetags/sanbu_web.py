"""Template helpers for the pages: query highlighting (escaped first), query-string building, labels."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def query_terms(q: str) -> list[str]:
    """The words of a query to highlight: whitespace-separated, longest first, duplicates dropped."""
    terms = {t for t in re.split(r"\s+", (q or "").strip()) if t}
    return sorted(terms, key=len, reverse=True)


@register.filter
def highlight(text: Any, q: str) -> SafeString:
    """Escape ``text`` and wrap each occurrence of a query word in ``<mark>``.

    Every piece of user text goes through ``conditional_escape``; only our own ``<mark>`` tags are
    marked safe, so a resource named ``<script>`` stays inert.
    """
    value = "" if text is None else str(text)
    terms = query_terms(q)
    if not terms or not value:
        return conditional_escape(value)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(value):
        out.append(str(conditional_escape(value[pos : m.start()])))
        out.append(f"<mark>{conditional_escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(str(conditional_escape(value[pos:])))
    return mark_safe("".join(out))  # every piece above is escaped


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (``page=None`` removes one)."""
    request: HttpRequest | None = context.get("request")
    params = request.GET.copy() if request is not None else None
    if params is None:
        from django.http import QueryDict

        params = QueryDict(mutable=True)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def yesno_zh(value: Any) -> str:
    return "是" if value else "否"


@register.filter
def dash(value: Any) -> Any:
    """Show an em dash for empty values."""
    return "—" if value in (None, "", [], ()) else value
