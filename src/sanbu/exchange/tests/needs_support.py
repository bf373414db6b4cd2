"""A small fixed catalog for 供需对接 and 数据异议 tests: who provides what, and who needs it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from sanbu.catalog import services as catalog
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import DataElement, Resource
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import services
from sanbu.exchange.models import ConsumerApp, Grant

from .sharing import item_ids


def resource(
    dept: Any, name: str, items: list[ItemInput], summary: str = "", state: str = "published",
    share_type: str = "unconditional",
) -> Resource:  # fmt: skip
    """A resource of ``dept`` taken through the real services up to ``state``."""
    data = ResourceInput(
        name=name, catalog_class="3", subclass="业务数据", summary=summary or f"{name}的摘要", format="database",
        share_type=share_type, share_method="api", update_cycle="daily",
        share_condition="仅限依法履职使用" if share_type == "conditional" else "", items=items,
    )  # fmt: skip
    r = catalog.resource_register(actor=SYSTEM, department_id=dept.pk, data=data)
    steps = ["draft", "submitted", "approved", "mounted", "published", "offline"]
    target = steps.index(state)
    if target >= 1:
        catalog.resource_submit(actor=SYSTEM, resource_id=r.pk, expected_version=None)
    if target >= 2:
        catalog.resource_review(actor=SYSTEM, resource_id=r.pk, expected_version=None, approve=True)
    if target >= 3:
        catalog.resource_mount_interface(
            actor=SYSTEM, resource_id=r.pk, expected_version=None, url="https://data.zibo.gov.cn/api/x"
        )
    if target >= 4:
        catalog.resource_publish(actor=SYSTEM, resource_id=r.pk, expected_version=None)
    if target >= 5:
        catalog.resource_offline(actor=SYSTEM, resource_id=r.pk, expected_version=None, reason="数据更新")
    return Resource.objects.get(pk=r.pk)


def item(name: str, element: str = "", **over: Any) -> ItemInput:
    """An item; one naming an element takes the element's type and length (CAT-3)."""
    data_type, length = "C", 50
    length_or_none: int | None = length
    if element:
        e = DataElement.objects.get(name=element)
        data_type, length_or_none = e.data_type, int(e.length) if e.length.isdigit() else None
    return ItemInput(name=name, data_type=data_type, length=length_or_none, element=element, **over)


@dataclass
class NeedWorld:
    police: Any
    civil: Any
    health: Any
    market: Any
    bureau: Any
    people: Resource  # 公安局 人口基本信息: 公民身份号码, 姓名, 出生日期 (all linked to elements)
    companies: Resource  # 市场监管局 市场主体登记信息
    births: Resource  # 卫健委 出生医学证明信息: 新生儿姓名 (no element), 出生日期
    draft: Resource  # 公安局 人口迁移信息, never published
    civil_consumer: Actor
    civil_steward: Actor
    police_steward: Actor
    health_steward: Actor
    authority: Actor
    users: dict[str, Any]


@transaction.atomic  # claim_authority is an internal step: it runs inside a caller's transaction
def need_world() -> NeedWorld:
    police = make_department("淄博市公安局")
    civil = make_department("淄博市民政局")
    health = make_department("淄博市卫生健康委员会")
    market = make_department("淄博市市场监督管理局")
    bureau = make_department("淄博市大数据局")
    users = {
        "civil_consumer": make_user("civil_consumer", department=civil, roles=("consumer",)),
        "civil_steward": make_user("civil_steward", department=civil, roles=("steward",)),
        "police_steward": make_user("police_steward", department=police, roles=("steward",)),
        "health_steward": make_user("health_steward", department=health, roles=("steward",)),
        "authority": make_user("bureau_authority", department=bureau, roles=("authority",)),
    }
    people = resource(
        police, "人口基本信息",
        [item("公民身份号码", "公民身份号码", is_key=True, is_authoritative=True, masking="id_number"),
         item("姓名", "姓名", masking="name"), item("出生日期", "出生日期")],
        summary="全市户籍人口的身份信息，供身份核验使用",
    )  # fmt: skip
    companies = resource(
        market, "市场主体登记信息",
        [item("统一社会信用代码", "统一社会信用代码", is_key=True), item("市场主体名称", "市场主体名称")],
    )  # fmt: skip
    births = resource(health, "出生医学证明信息", [item("新生儿姓名"), item("出生日期", "出生日期")])
    draft = resource(
        police, "人口迁移信息", [item("公民身份号码", "公民身份号码"), item("姓名", "姓名")], state="draft"
    )
    death = DataElement.objects.get(name="死亡日期")
    catalog.claim_authority(actor=SYSTEM, department=health, element=death)
    marriage = DataElement.objects.get(name="婚姻状况")
    catalog.claim_authority(actor=SYSTEM, department=civil, element=marriage)
    return NeedWorld(
        police=police, civil=civil, health=health, market=market, bureau=bureau, people=people,
        companies=companies, births=births, draft=draft, civil_consumer=actor_of(users["civil_consumer"]),
        civil_steward=actor_of(users["civil_steward"]), police_steward=actor_of(users["police_steward"]),
        health_steward=actor_of(users["health_steward"]), authority=actor_of(users["authority"]), users=users,
    )  # fmt: skip


def grant_on(steward: Actor, res: Resource, *names: str, app_name: str = "核验系统") -> Grant:
    """An app of the steward's department and a grant on ``res`` (unconditional: granted at once)."""
    app = ConsumerApp.objects.filter(department_id=steward.department_id or 0, name=app_name).first()
    if app is None:
        app = services.app_register(actor=steward, name=app_name)
    from datetime import date

    req = services.request_submit(
        actor=steward, app_id=app.pk, resource_id=res.pk, item_ids=item_ids(res, *names), purpose="核验",
        legal_basis="职责", period_start=date(2026, 1, 1), period_end=date(2030, 12, 31),
    )  # fmt: skip
    return Grant.objects.get(request=req)
