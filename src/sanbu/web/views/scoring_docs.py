"""The monthly scheduling sheet (月调度) and the monthly report, as pages and documents (issue 7)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
