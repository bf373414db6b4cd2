"""Child process of ``test_funds_kill``: on its own SQLite file, ``setup`` migrates and builds an approved
project in an issued plan with a scheduled tranche, then pays it with the change record (written after the
tranche, the ledger entry and the gate record) replaced by a stall: it writes the marker file and sleeps
until the parent kills it. ``pay`` pays the same tranche normally. Prints one JSON line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def main(mode: str, marker: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from sanbu.projects import funds
    from sanbu.projects.models import Tranche

    if mode == "setup":
        call_command("migrate", verbosity=0)
        call_command("migrate", database="datastore", verbosity=0)
        from django.utils import timezone

        from sanbu.projects.tests.support import world

        w = world(prefix="k")
        p = w.approved()
        plan = funds.plan_create(
            actor=w.authority, jurisdiction=p.jurisdiction_id, year=timezone.localdate().year
        )
        funds.plan_add(
            actor=w.authority, plan_id=plan.pk, project_id=p.pk, amount=1000, expected_version=None
        )
        funds.plan_issue(actor=w.authority, plan_id=plan.pk, expected_version=None, document_number="计划1号")
        t = funds.tranche_schedule(actor=w.finance, project_id=p.pk, amount=100_000)
        print(json.dumps({"tranche": t.pk, "project": p.pk}), flush=True)

        from sanbu.core import audit

        real = audit.record

        def stall(**kw: Any) -> Any:
            if kw.get("action") == "projects.tranche.pay":
                Path(marker).write_text("in the transaction")
                while True:
                    time.sleep(1)
            return real(**kw)

        audit.record = stall
        funds.tranche_pay(actor=w.finance, tranche_id=t.pk, expected_version=None, voucher="K-1")
        raise SystemExit("not reached")
    t = Tranche.objects.get(pk=int(marker))
    from django.contrib.auth import get_user_model

    from sanbu.core.testing import actor_of

    finance = actor_of(get_user_model().objects.get(username="k_finance"))
    paid, _ = funds.tranche_pay(actor=finance, tranche_id=t.pk, expected_version=t.version, voucher="K-2")
    print(json.dumps({"state": paid.state, "voucher": paid.voucher}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
