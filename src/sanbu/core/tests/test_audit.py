"""The SM3 audit chain: written by services, and tampering is detected by `sanbu verify_audit`."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from sanbu.core import audit
from sanbu.core.actor import SYSTEM
from sanbu.core.models import AuditHead, ChangeRecord
from sanbu.core.sm3 import sm3_hex
from sanbu.core.testing import make_department

pytestmark = pytest.mark.django_db


def test_sm3_matches_the_standard_vector() -> None:
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


@pytest.fixture
def chain(db: Any) -> list[ChangeRecord]:
    for i in range(5):
        make_department(f"审计测试部门{i}")
    records = list(ChangeRecord.objects.order_by("seq"))
    assert len(records) == 5
    return records


def _verify() -> str:
    try:
        call_command("verify_audit")
    except CommandError as exc:
        return str(exc)
    return "ok"


def test_intact_chain_verifies(chain: list[ChangeRecord], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("verify_audit")
    assert "5 条记录" in capsys.readouterr().out
    assert [r.seq for r in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))


def test_edited_record_is_named(chain: list[ChangeRecord]) -> None:
    ChangeRecord.objects.filter(seq=3).update(actor_username="mallory")
    message = _verify()
    assert "#3" in message and "直接修改" in message


def test_edited_json_payload_is_detected(chain: list[ChangeRecord]) -> None:
    rec = ChangeRecord.objects.get(seq=2)
    rec.after = {**(rec.after or {}), "name": "篡改后的名称"}
    rec.save()
    assert "#2" in _verify()


def test_deleted_record_is_detected(chain: list[ChangeRecord]) -> None:
    ChangeRecord.objects.filter(seq=4).delete()
    message = _verify()
    assert "4" in message and "删除" in message


def test_deleted_last_record_is_detected(chain: list[ChangeRecord]) -> None:
    ChangeRecord.objects.filter(seq=5).delete()
    assert "链尾" in _verify()


def test_reordered_records_are_detected(chain: list[ChangeRecord]) -> None:
    with transaction.atomic():
        ChangeRecord.objects.filter(seq=2).update(seq=-2)
        ChangeRecord.objects.filter(seq=3).update(seq=2)
        ChangeRecord.objects.filter(seq=-2).update(seq=3)
    message = _verify()
    assert "#2" in message


def test_rewritten_hash_breaks_the_next_link(chain: list[ChangeRecord]) -> None:
    """Recomputing one record's hash after editing it still breaks the following record's link."""
    rec = ChangeRecord.objects.get(seq=2)
    rec.action = "orgs.department.delete"
    rec.hash = audit.compute_hash(rec)
    rec.save()
    message = _verify()
    assert "#3" in message and "前序哈希" in message


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_record_outside_a_transaction_is_refused() -> None:
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError):
        audit.record_many(actor=SYSTEM, changes=[audit.Change("x", "y", "1")])


def test_failed_service_leaves_no_record(db: Any) -> None:
    from sanbu.core.errors import SanbuError
    from sanbu.orgs.services import department_create

    before = ChangeRecord.objects.count()
    with pytest.raises(SanbuError):
        department_create(actor=SYSTEM, name="坏部门", uscc="11370300MB2840123X", jurisdiction="370300")
    assert ChangeRecord.objects.count() == before
    assert AuditHead.objects.get(pk=1).last_seq == before


def test_auditors_read_only_their_jurisdiction(db: Any) -> None:
    from django.test import Client

    from sanbu.core.testing import make_user

    make_department("淄博市某局")
    make_department("济南市某局", jurisdiction="370100")
    zibo_auditor = make_user("zb_auditor", roles=("auditor",), jurisdiction="370300")
    client = Client()
    client.force_login(zibo_auditor)
    rows = client.get("/api/audit/records").json()
    assert {r["object_repr"] for r in rows} == {"淄博市某局"}
    assert ChangeRecord.objects.filter(jurisdiction="370100").count() == 1


def test_csrf_failure_has_the_error_shape(db: Any) -> None:
    from django.test import Client

    from sanbu.core.testing import make_user

    client = Client(enforce_csrf_checks=True)
    client.force_login(
        make_user("csrf_steward", department=make_department("淄博市某局"), roles=("steward",))
    )
    response = client.post("/api/catalog/resources", {}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "auth.csrf"
