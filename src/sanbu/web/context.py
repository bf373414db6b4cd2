"""Template context for every page: the actor, the platform name and the navigation for the actor's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLATFORM_NAME = gettext_lazy("三不 · 政务数据共享与项目治理平台")


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str
    active: bool = False
    count: int = 0


def _nav(request: HttpRequest, actor: Any) -> list[NavItem]:
    if actor is None or not actor.is_authenticated:
        return []
    path = request.path
    items: list[tuple[str, str, str, int]] = [("home", _("首页"), reverse("home"), 0)]
    if actor.may("scoring.view"):
        items.append(("dashboard", _("看板"), reverse("dashboard"), 0))
    if actor.may("catalog.browse"):
        items.append(("catalog", _("目录检索"), reverse("catalog-browse"), 0))
    if actor.may("catalog.resource.register"):
        items.append(("register", _("登记资源"), reverse("resource-new"), 0))
    if actor.may("catalog.import"):
        items.append(("import", _("导入导出"), reverse("catalog-import"), 0))
    if actor.may("catalog.resource.review"):
        from sanbu.catalog.selectors import review_queue

        items.append(("review", _("审核队列"), reverse("review-queue"), review_queue(actor=actor).count()))
    if actor.may("catalog.element.view"):
        items.append(("elements", _("数据元标准"), reverse("element-list"), 0))
    if actor.may("exchange.app.view"):
        items.append(("apps", _("应用与密钥"), reverse("exchange-apps"), 0))
    if actor.may("exchange.request.submit"):
        items.append(("requests", _("我的申请"), reverse("exchange-requests"), 0))
    if actor.may("exchange.request.accept") or actor.may("exchange.request.approve"):
        from sanbu.exchange.selectors import request_inbox

        items.append(("inbox", _("待办申请"), reverse("exchange-inbox"), request_inbox(actor=actor).count()))
    if actor.may("exchange.need.post"):
        items.append(("needs", _("供需对接"), reverse("exchange-needs"), 0))
    if actor.may("exchange.feedback.submit"):
        items.append(("objections", _("数据异议"), reverse("exchange-objections"), 0))
    if actor.may("exchange.need.answer") or actor.may("exchange.feedback.answer"):
        from sanbu.web.views.needs import queue_count

        items.append(("queue", _("待我答复"), reverse("exchange-queue"), queue_count(actor)))
    if actor.is_superuser or actor.jurisdictions_for("exchange.request.view"):
        items.append(("ledger", _("共享台账"), reverse("exchange-ledger"), 0))
    if actor.may("exchange.grant.revoke"):
        items.append(("grants", _("授权管理"), reverse("exchange-grants"), 0))
    if actor.may("exchange.usage.view"):
        items.append(("usage", _("调用统计"), reverse("exchange-usage"), 0))
    if actor.may("inventory.system.view"):
        items.append(("inventory", _("信息系统"), reverse("inventory-list"), 0))
    if actor.may("projects.project.view") or actor.may("projects.expert.score"):
        from sanbu.web.views.projects import nav_entry

        projects_url, pending_reviews = nav_entry(actor)
        items.append(("projects", _("信息化项目"), projects_url, pending_reviews))
    if actor.may("policy.ruleset.view"):
        items.append(("rulesets", _("规则集"), reverse("policy-rulesets"), 0))
    if actor.department_id is not None:
        from sanbu.orgs.notices import notices_for

        unread = notices_for(actor=actor, unread_only=True).count()
        items.append(("notices", _("通知"), reverse("notices"), unread))

    def is_active(key: str, url: str) -> bool:
        if key == "home":
            return path == url
        if key == "catalog":
            return path.startswith(url) and not any(
                path.startswith(reverse(n))
                for n in ("resource-new", "catalog-import", "review-queue", "element-list", "exchange-apps")
            )
        return path.startswith(url)

    return [NavItem(k, label, url, is_active(k, url), n) for k, label, url, n in items]


def platform(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    roles: list[str] = []
    if actor is not None and actor.is_authenticated:
        from sanbu.orgs.models import Role

        names = dict(Role.objects.filter(code__in=actor.roles).values_list("code", "name"))
        roles = [names.get(r, r) for r in sorted(actor.roles)]
    may_request = bool(actor is not None and actor.is_authenticated and actor.may("exchange.request.submit"))
    return {
        "actor": actor,
        "platform_name": PLATFORM_NAME,
        "nav_items": _nav(request, actor) if actor is not None else [],
        "actor_roles": roles,
        "can_request_share": may_request,
    }
