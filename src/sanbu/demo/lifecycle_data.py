"""Demo data for the interface lifecycle (EX-5), usage counters and notices.

Runs after the exchange demo (apps, requests, grants): more consumers get a grant on one unconditionally
shared resource, its provider releases v1 and v2 of the interface and deprecates v1 with a sunset date
beyond the ruleset's notice period (so its consumers get a notice), and six weeks of gateway usage are
counted for every active grant, so the usage pages have a picture. Everything goes through the services
and ``exchange.usage.count_calls``, the same writer the gateway's access log uses.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sanbu.catalog.models import Resource, ShareType
from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.calendar import add_working_days
from sanbu.exchange import interfaces
from sanbu.exchange import services as exchange
from sanbu.exchange.models import ConsumerApp, Grant, InterfaceVersion
from sanbu.exchange.usage import count_calls
from sanbu.orgs.selectors import actor_for_user
from sanbu.policy.rulesets import INTERFACE_SUNSET_NOTICE_DAYS, load_ruleset

SEED = 20261124
USAGE_DAYS = 42


def _steward_of(resource: Resource) -> Actor:
    user = (
        get_user_model()
        .objects.filter(profile__department_id=resource.department_id, username__endswith="_steward")
        .order_by("id")
        .first()
    )
    return actor_for_user(user, request_id="demo-load") if user is not None else SYSTEM


def _shareable(resource: Resource) -> list[int]:
    return [i.pk for i in resource.items.all() if (i.share_type or resource.share_type) != ShareType.NONE]


def _more_consumers(resource: Resource) -> None:
    """Every active demo app of another department that holds no grant on ``resource`` asks for it
    (unconditional sharing: granted at once)."""
    today = timezone.localdate()
    holding = set(Grant.objects.filter(resource=resource).values_list("app_id", flat=True))
    for app in ConsumerApp.objects.exclude(department_id=resource.department_id).exclude(pk__in=holding):
        exchange.request_submit(
            actor=SYSTEM, app_id=app.pk, resource_id=resource.pk, item_ids=_shareable(resource),
            purpose="办件时核验申请人身份信息", legal_basis="《政务数据共享条例》（国务院令第809号）",
            period_start=today, period_end=today + timedelta(days=365),
        )  # fmt: skip


def _usage(rng: random.Random) -> int:
    """Six weeks of calls for every active grant: busy on working days, quiet at weekends."""
    today = timezone.localdate()
    calls: list[tuple[int, int, date, bool, int]] = []
    pairs = sorted(set(Grant.objects.active_on(timezone.now()).values_list("resource_id", "app_id")))
    for n, (resource_id, app_id) in enumerate(pairs):
        base = 40 + 35 * (n % 3)
        for back in range(USAGE_DAYS, -1, -1):
            day = today - timedelta(days=back)
            volume = base if day.weekday() < 5 else base // 8
            volume = max(0, int(volume * rng.uniform(0.6, 1.4)) + (USAGE_DAYS - back) // 3)
            for _ in range(volume):
                answered = rng.random() > 0.06
                calls.append(
                    (resource_id, app_id, day, answered, rng.choice((1, 1, 1, 2)) if answered else 0)
                )
    count_calls(calls)
    return len(calls)


@transaction.atomic
def load_lifecycle() -> str:
    """Load the lifecycle demo; a one-line summary for the command's output."""
    rng = random.Random(SEED)
    resource = (
        Resource.objects.shared()
        .filter(share_type=ShareType.UNCONDITIONAL, grants__isnull=False)
        .order_by("id")
        .first()
    )
    versions = 0
    if resource is not None and not InterfaceVersion.objects.filter(resource=resource).exists():
        _more_consumers(resource)
        steward = _steward_of(resource)
        v1 = interfaces.interface_release(actor=steward, resource_id=resource.pk, note="首个版本")
        interfaces.interface_release(
            actor=steward, resource_id=resource.pk,
            note="返回的日期统一为 YYYY-MM-DD，代码项返回国家标准代码；请求与 v1 相同",
        )  # fmt: skip
        days = int(load_ruleset()[INTERFACE_SUNSET_NOTICE_DAYS].value)
        sunset = add_working_days(timezone.localdate(), days + 10).date
        interfaces.interface_deprecate(actor=steward, version_id=v1.pk, sunset_on=sunset)
        versions = 2
    for other in (
        Resource.objects.shared()
        .filter(share_type=ShareType.UNCONDITIONAL, secrecy="non_secret", grants__isnull=True)
        .order_by("id")[:2]
    ):  # two more resources in use, so the overview has several
        app = ConsumerApp.objects.exclude(department_id=other.department_id).order_by("id").first()
        if app is not None:
            exchange.request_submit(
                actor=SYSTEM, app_id=app.pk, resource_id=other.pk, item_ids=_shareable(other),
                purpose="业务办理时核验", legal_basis="《政务数据共享条例》（国务院令第809号）",
                period_start=timezone.localdate(), period_end=timezone.localdate() + timedelta(days=365),
            )  # fmt: skip
    counted = _usage(rng)
    name = resource.name if resource is not None else "（无）"
    return f"接口生命周期：资源“{name}”发布 {versions} 个接口版本（v1 已弃用）；调用统计 {counted} 次调用。"
