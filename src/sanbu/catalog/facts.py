"""Catalog rows → policy facts, in one place."""

from __future__ import annotations

from sanbu.policy.rules.catalog import ItemFacts, ResourceFacts

from .models import MountKind, Resource


def resource_facts(resource: Resource) -> ResourceFacts:
    items = tuple(
        ItemFacts(
            name=i.name,
            share_type=i.share_type or resource.share_type,
            element=i.element.name if i.element else None,
            element_id=i.element.identifier if i.element else None,
            element_type=i.element.data_type if i.element else None,
            data_type=i.data_type,
            is_key=i.is_key,
            masking=i.masking,
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
        subclass=resource.subclass,
        open_to_public=resource.open_to_public,
    )
