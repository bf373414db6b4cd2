from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from sanbu.catalog.models import (
    ConflictState,
    ElementConflict,
    MountKind,
    Resource,
    ResourceItem,
    ResourceState,
    ResourceVersion,
)
from sanbu.catalog.selectors import duplicate_collections
from sanbu.core.actor import SYSTEM
from sanbu.core.audit import verify_chain
from sanbu.core.identifiers import check_citizen_id, check_uscc
from sanbu.core.models import ChangeRecord
from sanbu.datastore import loading
from sanbu.datastore.models import DataRow
from sanbu.demo.data import DEMO_PASSWORD
from sanbu.orgs.models import Department, Role, RoleAssignment

pytestmark = pytest.mark.django_db(databases="__all__")


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_builds_the_city_through_the_services() -> None:
    output = load()

    departments = list(Department.objects.all())
    assert len(departments) >= 20
    assert all(check_uscc(d.uscc).ok for d in departments)
    assert all(d.jurisdiction_id.startswith("3703") for d in departments)
    assert len({d.jurisdiction_id for d in departments}) > 1  # the city and some of its counties

    assert Resource.objects.count() >= 200
    assert set(Resource.objects.values_list("state", flat=True)) == set(ResourceState.values)
    assert set(Resource.objects.values_list("catalog_class", flat=True)) == {"1", "2", "3"}
    assert Resource.objects.filter(state=ResourceState.REJECTED).exclude(review_note="").exists()
    assert not Resource.objects.filter(state=ResourceState.REJECTED, review_note="").exists()
    assert Resource.objects.filter(mount_kind=MountKind.INTERFACE).exists()
    assert ResourceVersion.objects.filter(number=2).exists()  # edited after publishing, then republished
    assert Resource.objects.filter(state=ResourceState.DRAFT, published_version__gt=0).exists()

    # Mounted rows hold valid identifiers with real 淄博 county codes.
    mounted = Resource.objects.filter(mount_kind=MountKind.ROWS)
    assert DataRow.objects.filter(resource_id__in=list(mounted.values_list("pk", flat=True))).count() >= 1000
    id_items = ResourceItem.objects.filter(resource__in=mounted, element__identifier="DE00001")
    uscc_items = ResourceItem.objects.filter(resource__in=mounted, element__identifier="DE00009")
    checked = 0
    for items, check in ((id_items, check_citizen_id), (uscc_items, check_uscc)):
        for item in items.select_related("resource"):
            for data in DataRow.objects.filter(resource_id=item.resource_id).values_list("data", flat=True):
                value = loading.read_value(data[item.name])  # 重要 data is stored SM4-encrypted
                assert check(value).ok, (item.resource.name, item.name, value)
                assert value[2:6] == "3703" if check is check_uscc else value.startswith("3703")
                checked += 1
    assert checked >= 500

    # 一数一源 conflicts to resolve (one already resolved) and a few 重复采集.
    assert ElementConflict.objects.filter(state=ConflictState.OPEN).count() >= 3
    assert ElementConflict.objects.filter(state=ConflictState.RESOLVED).exists()
    duplicates = duplicate_collections(actor=SYSTEM)
    assert 3 <= len(duplicates) <= 50

    # Every role has an account; all log in with the demo password.
    assert set(RoleAssignment.objects.values_list("role_id", flat=True)) == set(Role.objects.values_list("pk", flat=True))
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert authenticate(username="gaj_steward", password=DEMO_PASSWORD) is not None
    assert "admin_dsj" in output and DEMO_PASSWORD in output

    # The exchange: consumer apps with keys, and share requests granted, waiting at each step, refused.
    from sanbu.exchange.models import AppKey, ConsumerApp, Grant, ShareRequest

    assert ConsumerApp.objects.count() >= 4 and AppKey.objects.count() >= 4
    states = Counter(ShareRequest.objects.values_list("state", flat=True))
    assert states["granted"] >= 2 and states["pending"] >= 2 and states["refused"] >= 1
    assert Grant.objects.count() >= 2

    count, problem = verify_chain()
    assert problem is None
    assert count > 1000


def test_load_demo_is_idempotent() -> None:
    load()
    counts = (Resource.objects.count(), DataRow.objects.count(), ChangeRecord.objects.count())
    output = load()
    assert "跳过" in output and "admin_dsj" in output
    assert (Resource.objects.count(), DataRow.objects.count(), ChangeRecord.objects.count()) == counts


@override_settings(SANBU_DEMO=False)
def test_load_demo_refuses_outside_demo_settings() -> None:
    with pytest.raises(CommandError) as exc:
        call_command("load_demo", stdout=StringIO())
    assert exc.value.returncode == 2
    assert "SANBU_DEMO" in str(exc.value)
    assert not Department.objects.exists()
