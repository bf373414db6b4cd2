"""Helpers for share-request tests: published, mounted resources of a given share type."""

from __future__ import annotations

from typing import Any

from sanbu.catalog import services as catalog
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import Resource
from sanbu.core.actor import SYSTEM


def items(share_type: str = "") -> list[ItemInput]:
    return [
        ItemInput(name="公民身份号码", data_type="C", length=18, element="公民身份号码", is_key=True,
                  masking="id_number"),
        ItemInput(name="姓名", data_type="C", length=50, element="姓名", masking="name"),
        ItemInput(name="婚姻状况", data_type="C", length=10, share_type=share_type,
                  share_condition="仅限婚姻登记业务" if share_type == "conditional" else ""),
    ]  # fmt: skip


def published_resource(
    dept: Any, name: str, share_type: str = "conditional", secrecy: str = "non_secret",
    item_share_type: str = "", publish: bool = True,
) -> Resource:  # fmt: skip
    """A resource of ``dept`` registered, reviewed, mounted (interface) and, unless told, published."""
    data = ResourceInput(
        name=name, catalog_class="3", subclass="业务数据", summary=f"{name}的摘要", format="database",
        share_type=share_type, share_method="api", update_cycle="daily", secrecy=secrecy,
        share_condition="仅限依法履职使用" if share_type == "conditional" else "",
        items=items(item_share_type),
    )  # fmt: skip
    r = catalog.resource_register(actor=SYSTEM, department_id=dept.pk, data=data)
    catalog.resource_submit(actor=SYSTEM, resource_id=r.pk, expected_version=None)
    catalog.resource_review(actor=SYSTEM, resource_id=r.pk, expected_version=None, approve=True)
    catalog.resource_mount_interface(
        actor=SYSTEM, resource_id=r.pk, expected_version=None, url="https://data.zibo.gov.cn/api/persons"
    )
    if publish:
        catalog.resource_publish(actor=SYSTEM, resource_id=r.pk, expected_version=None)
    return Resource.objects.get(pk=r.pk)


def item_ids(resource: Resource, *names: str) -> list[int]:
    qs = resource.items.all()
    if names:
        qs = qs.filter(name__in=names)
    return [i.pk for i in qs]
