"""The demo's needs and objections: every state the pages show, built through the services."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from sanbu.core.audit import verify_chain
from sanbu.exchange.models import DataNeed, NeedOutcome, NeedState, Objection, ObjectionState
from sanbu.orgs.models import Notice

pytestmark = pytest.mark.django_db(databases="__all__")


def test_demo_has_needs_and_objections_in_each_state() -> None:
    call_command("load_demo", stdout=StringIO())
    today = timezone.localdate()
    needs = list(DataNeed.objects.all())
    assert any(n.state == NeedState.MATCHED and n.matched_resource_id for n in needs)
    assert any(n.state == NeedState.ROUTED and not n.is_overdue_on(today) for n in needs)
    assert any(n.is_overdue_on(today) for n in needs)
    assert any(n.outcome == NeedOutcome.CANNOT_PROVIDE and n.reply for n in needs)
    states = {o.state for o in Objection.objects.all()}
    assert {ObjectionState.OPEN, ObjectionState.ANSWERED, ObjectionState.CORRECTED} <= states
    assert Notice.objects.filter(kind__in=["exchange.need", "exchange.objection"]).count() >= 6
    assert verify_chain()[1] is None
