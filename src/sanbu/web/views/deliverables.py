"""成果登记: the register of results of accepted projects owned by the government (PRJ-E3), for the
authority, finance, leaders and auditors of a jurisdiction, and for a unit its own projects."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sanbu.policy.rules.acceptance import DELIVERABLES
from sanbu.projects import selectors
from sanbu.projects.models import VIEW

from .common import actor_of


@login_required
def deliverable_register(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.may(VIEW):
        raise Http404("您无权查看项目成果登记。")
    kind = request.GET.get("kind", "")
    kind = kind if kind in DELIVERABLES else ""
    entries = selectors.deliverable_register(actor=actor, kind=kind)
    return render(request, "lifecycle/deliverables.html", {
        "entries": entries, "kinds": list(DELIVERABLES.items()), "kind": kind, "labels": DELIVERABLES,
        "complete": sum(1 for e in entries if not e.missing and e.contract_assigns_ip),
    })  # fmt: skip
