"""A gateway test world: a published resource mounted with rows, a consumer app with a key and a grant.

Used by the gateway tests and, in a subprocess with other settings, by the kill -9 test.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sanbu.catalog import services as catalog
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import Resource
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.identifiers import make_citizen_id
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import services
from sanbu.exchange.models import ConsumerApp, Grant

GRANTED = ["公民身份号码", "姓名", "手机号码", "住址"]  # not 婚姻状况
LIFTED = ["手机号码"]


def person_id(i: int) -> str:
    return make_citizen_id("370303", date(1980, 1, 1 + i % 28), 21 + i)


def rows_csv(n: int) -> io.BytesIO:
    lines = ["公民身份号码,姓名,手机号码,住址,婚姻状况"]
    for i in range(n):
        lines.append(
            f"{person_id(i)},张{'三四五六七'[i % 5]}{i},1380000{i:04d},山东省淄博市张店区人民西路{i}号,已婚"
        )
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def mounted_resource(dept: Any, name: str, n: int = 5, data_grade: str = "general") -> Resource:
    data = ResourceInput(
        name=name, catalog_class="1", subclass="人口", summary=f"{name}的摘要", format="database",
        share_type="conditional", share_condition="仅限依法履职使用", share_method="api", update_cycle="daily",
        data_grade=data_grade,
        items=[
            ItemInput(name="公民身份号码", data_type="C", length=18, element="公民身份号码", is_key=True,
                      masking="id_number"),
            ItemInput(name="姓名", data_type="C", length=50, element="姓名", masking="name"),
            ItemInput(name="手机号码", data_type="C", length=11, masking="mobile"),
            ItemInput(name="住址", data_type="C", length=200, masking="address"),
            ItemInput(name="婚姻状况", data_type="C", length=10),
        ],
    )  # fmt: skip
    r = catalog.resource_register(actor=SYSTEM, department_id=dept.pk, data=data)
    catalog.resource_submit(actor=SYSTEM, resource_id=r.pk, expected_version=None)
    catalog.resource_review(actor=SYSTEM, resource_id=r.pk, expected_version=None, approve=True)
    catalog.resource_mount_rows(
        actor=SYSTEM, resource_id=r.pk, expected_version=None, file=rows_csv(n), filename="rows.csv"
    )
    catalog.resource_publish(actor=SYSTEM, resource_id=r.pk, expected_version=None)
    return Resource.objects.get(pk=r.pk)


@dataclass
class World:
    provider: Any
    consumer: Any
    consumer_actor: Actor
    resource: Resource
    app: ConsumerApp
    key: str
    key_pk: int
    grant: Grant


def grant_for(actor: Actor, app: ConsumerApp, resource: Resource, names: list[str] = GRANTED) -> Grant:
    ids = list(resource.items.filter(name__in=names).values_list("id", flat=True))
    req = services.request_submit(
        actor=actor, app_id=app.pk, resource_id=resource.pk, item_ids=ids, purpose="婚姻登记时核验当事人身份",
        legal_basis="《婚姻登记条例》第七条", period_start=date(2026, 1, 1), period_end=date(2030, 12, 31),
    )  # fmt: skip
    services.request_accept(actor=SYSTEM, request_id=req.pk, expected_version=None)
    lift = list(resource.items.filter(name__in=LIFTED).values_list("id", flat=True))
    services.request_approve(
        actor=SYSTEM, request_id=req.pk, expected_version=None, lift_masking_item_ids=lift
    )
    return Grant.objects.get(request_id=req.pk)


def build(n: int = 5, data_grade: str = "general", rate_limit: int = 600) -> World:
    provider = make_department("淄博市公安局")
    consumer = make_department("淄博市民政局")
    actor = actor_of(make_user(None, department=consumer, roles=("steward", "consumer")))
    resource = mounted_resource(provider, "人口基本信息", n=n, data_grade=data_grade)
    app = services.app_register(actor=actor, name="婚姻登记系统")
    ConsumerApp.objects.filter(pk=app.pk).update(rate_limit_per_minute=rate_limit)
    issued = services.key_issue(actor=actor, app_id=app.pk)
    grant = grant_for(actor, app, resource)
    return World(provider, consumer, actor, resource, app, issued.plaintext, issued.key.pk, grant)
