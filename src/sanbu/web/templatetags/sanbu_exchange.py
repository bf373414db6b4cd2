"""Template filters for the exchange panels on shared pages: may this actor see a resource's usage,
manage its interface, revoke its grants? (The views check again: these only decide what is shown.)"""

from __future__ import annotations

from typing import Any

from django import template

from sanbu.core.actor import Actor

register = template.Library()


def _can(actor: Any, action: str, obj: Any) -> bool:
    scope = getattr(obj, "scope", None)
    return isinstance(actor, Actor) and callable(scope) and actor.can(action, scope())


@register.filter
def usage_visible(resource: Any, actor: Any) -> bool:
    return _can(actor, "exchange.usage.view", resource)


@register.filter
def interfaces_managed(resource: Any, actor: Any) -> bool:
    return _can(actor, "exchange.interface.manage", resource)


@register.filter
def revocable_by(obj: Any, actor: Any) -> bool:
    """A grant (or a resource's grants) the actor may revoke: the provider's side or the authority."""
    return _can(actor, "exchange.grant.revoke", obj)
