"""The approval document of a project as .docx or PDF: for whoever may see the project, once approved."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from sanbu.core.documents import http_response
from sanbu.core.errors import NotFound
from sanbu.projects import selectors
from sanbu.projects.documents import approval_document
from sanbu.projects.models import ProjectState

from .common import actor_of


@login_required
def approval_doc(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("docx", "pdf"):
        raise Http404("未知的文件格式。")
    try:
        project = selectors.project_get(actor=actor_of(request), project_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if project.state not in (ProjectState.APPROVED, ProjectState.ACCEPTED):
        raise Http404("项目尚未立项，没有立项批复。")
    return http_response(approval_document(project), fmt, f"立项批复-{project.name}")  # type: ignore[arg-type]
