"""Demo data for the exchange: consumer apps with keys and share requests in every state.

Built through the real services like the catalog demo. Keys are issued and their secrets discarded
(a key is shown once): a demo user issues a fresh one on the 应用与密钥 page to call the gateway.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from sanbu.catalog.models import Resource, ShareType
from sanbu.core.actor import Actor
from sanbu.exchange import services as exchange
from sanbu.exchange.models import ConsumerApp
from sanbu.orgs.models import Department

APPS = [
    ("mzj", "社会救助审核系统", "核对低保、特困申请人的户籍、婚姻和收入信息", "民政综合业务信息系统"),
    ("rsj", "社保待遇资格认证系统", "核验参保人员身份与生存状态", "人社一体化公共服务平台"),
    ("spj", "一网通办受理系统", "办件时调取证照与主体信息，免交材料", "政务服务一体化平台"),
    ("ybj", "医保参保登记系统", "参保登记时核验身份信息", "医疗保障信息平台"),
]


def _shared(consumer: Department, share_type: str, taken: set[int]) -> Resource | None:
    return (
        Resource.objects.shared()
        .filter(share_type=share_type, secrecy="non_secret")
        .exclude(department=consumer)
        .exclude(pk__in=taken)
        .order_by("id")
        .first()
    )


def _items(resource: Resource) -> list[int]:
    return [i.pk for i in resource.items.all() if (i.share_type or resource.share_type) != ShareType.NONE]


def load_exchange(
    actors: dict[str, Actor], departments: dict[str, Department], rng: random.Random
) -> dict[str, int]:
    apps: dict[str, ConsumerApp] = {}
    for key, name, purpose, system in APPS:
        steward = actors[f"{key}_steward"]
        app = exchange.app_register(actor=steward, name=name, purpose=purpose, system_name=system)
        exchange.key_issue(actor=steward, app_id=app.pk)
        apps[key] = app
    today = timezone.localdate()
    by_dept = {d.pk: k for k, d in departments.items()}
    taken: set[int] = set()

    def submit(key: str, share_type: str, purpose: str) -> tuple[int, Resource] | None:
        resource = _shared(departments[key], share_type, taken)
        if resource is None:
            return None
        taken.add(resource.pk)
        req = exchange.request_submit(
            actor=actors[f"{key}_steward"], app_id=apps[key].pk, resource_id=resource.pk,
            item_ids=_items(resource), purpose=purpose, legal_basis="《政务数据共享条例》（国务院令第809号）",
            period_start=today, period_end=today + timedelta(days=365),
        )  # fmt: skip
        return req.pk, resource

    counts = {"apps": len(apps), "requests": 0}
    if submit("mzj", ShareType.UNCONDITIONAL, "低保申请人身份核验（无条件共享，即时授权）"):
        counts["requests"] += 1
    if submit("mzj", ShareType.CONDITIONAL, "特困人员认定时核对家庭成员信息"):  # waits for 受理
        counts["requests"] += 1
    authority = actors["admin_dsj"]
    accepted = submit("rsj", ShareType.CONDITIONAL, "待遇资格认证时核验生存状态")
    if accepted:
        exchange.request_accept(
            actor=authority, request_id=accepted[0], expected_version=None, note="材料齐全，予以受理"
        )
        counts["requests"] += 1  # waits for the provider
    approved = submit("spj", ShareType.CONDITIONAL, "一网通办免交材料：调取主体登记信息")
    if approved:
        req_id, resource = approved
        exchange.request_accept(actor=authority, request_id=req_id, expected_version=None)
        provider = actors[f"{by_dept[resource.department_id]}_steward"]
        exchange.request_approve(
            actor=provider, request_id=req_id, expected_version=None, note="同意，按脱敏规则提供"
        )
        counts["requests"] += 1
    refused = submit("ybj", ShareType.CONDITIONAL, "参保登记核验")
    if refused:
        exchange.request_refuse(
            actor=authority, request_id=refused[0], expected_version=None,
            reason="申请的信息项超出参保登记所需范围，请只申请身份核验所需字段后重新提交。",
        )  # fmt: skip
        counts["requests"] += 1
    return counts
