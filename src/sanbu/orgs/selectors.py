from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from sanbu.core.actor import ANONYMOUS, Actor, Assignment
from sanbu.core.errors import NotFound

from .models import Department, Jurisdiction, Profile, RoleAssignment


def actor_for_user(user: AbstractBaseUser | AnonymousUser, *, request_id: str = "") -> Actor:
    if not user.is_authenticated:
        return Actor(user_id=None, username="", request_id=request_id)
    profile = Profile.objects.select_related("department").filter(user_id=user.pk).first()
    dept = profile.department if profile else None
    assignments = tuple(
        Assignment(
            role=a.role_id,
            actions=frozenset(a.role.actions),
            jurisdiction=a.jurisdiction_id,
            department_id=a.department_id,
        )
        for a in RoleAssignment.objects.select_related("role").filter(user_id=user.pk)
    )
    return Actor(
        user_id=user.pk,
        username=user.get_username(),
        department_id=dept.pk if dept else None,
        department_uscc=dept.uscc if dept else "",
        department_name=dept.name if dept else "",
        jurisdiction=dept.jurisdiction_id if dept else "",
        assignments=assignments,
        is_superuser=bool(getattr(user, "is_superuser", False)),
        request_id=request_id,
        roles=frozenset(a.role for a in assignments)
        | ({"authority"} if getattr(user, "is_superuser", False) else set()),
    )


def department_list(*, actor: Actor) -> list[Department]:
    if not actor.has_any_role:
        return []
    return list(Department.objects.active().select_related("jurisdiction"))


def jurisdiction_tree(*, root: str) -> list[Jurisdiction]:
    node = Jurisdiction.objects.get(code=root)
    return list(
        Jurisdiction.objects.filter(code__startswith=node.prefix, valid_to__isnull=True).order_by("code")
    )


__all__ = ["ANONYMOUS", "actor_for_user", "department_list", "jurisdiction_tree"]


def acting_department(actor: Actor, department_id: int | None, action: str, doing: str) -> Department:
    """The department the actor acts for (``department_id``, else its own) when it may ``action`` there;
    NotFound otherwise (a missing department and a forbidden one look the same). ``doing`` completes
    the message: 部门不存在或您无权{doing}。"""
    dept_id = department_id or actor.department_id
    dept = Department.objects.filter(pk=dept_id).first() if dept_id else None
    if dept is None or not actor.can(action, dept.scope()):
        raise NotFound("orgs.department.not_found", f"部门不存在或您无权{doing}。")
    return dept
