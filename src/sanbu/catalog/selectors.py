"""Reads restricted to what the actor may see. Missing and forbidden both answer 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet

from sanbu.core.actor import Actor
from sanbu.core.errors import NotFound

from .elements import ElementIndex, LinkSuggestion
from .models import (
    ConflictState,
    DataElement,
    ElementConflict,
    Resource,
    ResourceItem,
    ResourceState,
    ResourceVersion,
)


@dataclass(frozen=True)
class ResourceFilters:
    catalog_class: str = ""
    department_id: int | None = None
    share_type: str = ""
    jurisdiction: str = ""
    state: str = ""

    def apply(self, qs: QuerySet[Resource]) -> QuerySet[Resource]:
        if self.catalog_class:
            qs = qs.filter(catalog_class=self.catalog_class)
        if self.department_id:
            qs = qs.filter(department_id=self.department_id)
        if self.share_type:
            qs = qs.filter(share_type=self.share_type)
        if self.jurisdiction:
            from sanbu.core.actor import jurisdiction_prefix

            qs = qs.filter(jurisdiction__code__startswith=jurisdiction_prefix(self.jurisdiction))
        if self.state:
            qs = qs.filter(state=self.state)
        return qs


def resource_list(*, actor: Actor, filters: ResourceFilters | None = None) -> QuerySet[Resource]:
    qs = Resource.objects.visible_to(actor).select_related("department", "jurisdiction")
    return (filters or ResourceFilters()).apply(qs).order_by("-updated_at", "-id")


def resource_get(*, actor: Actor, resource_id: int) -> Resource:
    resource = (
        Resource.objects.visible_to(actor)
        .select_related("department", "jurisdiction")
        .filter(pk=resource_id)
        .first()
    )
    if resource is None:
        raise NotFound("catalog.resource.not_found", "信息资源不存在或您无权查看。", resource_id=resource_id)
    return resource


def resource_items(*, actor: Actor, resource_id: int) -> list[ResourceItem]:
    resource = resource_get(actor=actor, resource_id=resource_id)
    return list(resource.items.select_related("element").order_by("position", "id"))


def resource_versions(*, actor: Actor, resource_id: int) -> list[ResourceVersion]:
    resource = resource_get(actor=actor, resource_id=resource_id)
    return list(resource.versions.order_by("-number"))


def version_get(*, actor: Actor, resource_id: int, number: int) -> ResourceVersion:
    resource = resource_get(actor=actor, resource_id=resource_id)
    version = resource.versions.filter(number=number).first()
    if version is None:
        raise NotFound("catalog.version.not_found", f"版本 v{number} 不存在。")
    return version


def review_queue(*, actor: Actor) -> QuerySet[Resource]:
    """Resources waiting for the authority's review, within the actor's jurisdictions."""
    if not actor.may("catalog.resource.review"):
        return Resource.objects.none()
    qs = Resource.objects.filter(state=ResourceState.SUBMITTED).select_related("department", "jurisdiction")
    if actor.is_superuser:
        return qs.order_by("updated_at")
    cond = Q(pk__in=[])
    for prefix in actor.jurisdictions_for("catalog.resource.review"):
        cond |= Q(jurisdiction__code__startswith=prefix)
    return qs.filter(cond).order_by("updated_at")


def element_list(*, actor: Actor, q: str = "") -> QuerySet[DataElement]:
    if not actor.has_any_role:
        return DataElement.objects.none()
    qs = DataElement.objects.select_related("authority").annotate(item_count=Count("items"))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(identifier__icontains=q) | Q(synonyms__icontains=q))
    return qs.order_by("identifier")


def element_get(*, actor: Actor, element_id: int) -> DataElement:
    element = element_list(actor=actor).filter(pk=element_id).first()
    if element is None:
        raise NotFound("catalog.element.not_found", "数据元不存在。")
    return element


def conflict_list(*, actor: Actor, state: str = ConflictState.OPEN) -> QuerySet[ElementConflict]:
    qs = ElementConflict.objects.select_related("element", "incumbent", "claimant", "winner")
    if state:
        qs = qs.filter(state=state)
    if actor.is_superuser or (
        actor.may("catalog.resource.view_all") and actor.jurisdictions_for("catalog.resource.view_all")
    ):
        cond = Q()
        if not actor.is_superuser:
            cond = Q(pk__in=[])
            for prefix in actor.jurisdictions_for("catalog.resource.view_all"):
                cond |= Q(claimant__jurisdiction__code__startswith=prefix)
        return qs.filter(cond)
    depts = actor.departments_for("catalog.resource.view_all")
    return qs.filter(Q(claimant_id__in=depts) | Q(incumbent_id__in=depts))


@dataclass(frozen=True)
class DuplicateCollection:
    """重复采集 (CAT-2): an item collecting an element another department is the source of."""

    item_id: int
    item_name: str
    resource_id: int
    resource_name: str
    department_name: str
    element_id: int
    element_name: str
    authority_name: str
    suggested_resource_id: int | None
    suggested_resource_name: str


def duplicate_collections(*, actor: Actor, department_id: int | None = None) -> list[DuplicateCollection]:
    """Non-key items referencing an element whose authoritative source is another department.

    Key items (公民身份号码 as a join key, 一号通行) are how records are matched, not collection.
    The providing resource suggested is the source department's shared resource holding that element.
    """
    items = (
        ResourceItem.objects.filter(element__authority__isnull=False, is_key=False)
        .exclude(resource__department_id=F("element__authority_id"))
        .filter(resource__in=Resource.objects.visible_to(actor))
        .select_related("resource__department", "element__authority")
    )
    if department_id:
        items = items.filter(resource__department_id=department_id)
    suggestions: dict[tuple[int, int], Resource | None] = {}
    out = []
    for item in items.order_by("resource__department_id", "resource_id", "position")[:2000]:
        element = item.element
        assert element is not None and element.authority is not None
        key = (element.pk, element.authority.pk)
        if key not in suggestions:
            # only what the actor may see and what is really shared can be suggested as the source
            suggestions[key] = (
                Resource.objects.visible_to(actor)
                .shared()
                .filter(department_id=element.authority.pk, items__element_id=element.pk)
                .order_by("id")
                .first()
            )
        suggested = suggestions[key]
        out.append(
            DuplicateCollection(
                item_id=item.pk,
                item_name=item.name,
                resource_id=item.resource_id,
                resource_name=item.resource.name,
                department_name=item.resource.department.name,
                element_id=element.pk,
                element_name=element.name,
                authority_name=element.authority.name,
                suggested_resource_id=suggested.pk if suggested else None,
                suggested_resource_name=suggested.name if suggested else "",
            )
        )
    return out


def link_suggestions(
    *, actor: Actor, department_id: int | None = None, limit: int = 500
) -> list[LinkSuggestion]:
    """Items that reference no element but look like one (name, synonym, fuzzy match)."""
    items = ResourceItem.objects.filter(element__isnull=True, resource__in=Resource.objects.visible_to(actor))
    if department_id:
        items = items.filter(resource__department_id=department_id)
    index = ElementIndex()
    out = []
    for item in items.select_related("resource").order_by("resource_id", "position")[: limit * 4]:
        hit = index.suggest(item.name)
        if hit:
            element, score = hit
            out.append(
                LinkSuggestion(
                    item.pk, item.name, item.resource_id, item.resource.name, element.pk, element.name, score
                )
            )
            if len(out) >= limit:
                break
    return out
