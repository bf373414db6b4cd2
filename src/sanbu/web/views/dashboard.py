"""Leaders' dashboard and a department's score with its drill-down (issue 7). Filled in by its pages."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
