"""Catalog rows → policy facts, in one place."""

from __future__ import annotations

from sanbu.policy.rules.catalog import ItemFacts, ResourceFacts

from .models import MountKind, Resource


def resource_facts(resource: Resource) -> ResourceFacts:
    items = tuple(
        ItemFacts(
            name=i.name,
            share_type=i.share_type or resource.share_type,
            element=i.element.name if i.element_id and i.element else None,
        )
        for i in resource.items.select_related("element").all()
    )
    return ResourceFacts(
        code=resource.code,
        share_type=resource.share_type,
        share_condition=resource.share_condition,
        no_share_basis=resource.no_share_basis,
        secrecy=resource.secrecy,
        data_grade=resource.data_grade,
        mounted=resource.mount_kind != MountKind.NONE,
        state=resource.state,
        items=items,
    )
