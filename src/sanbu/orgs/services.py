"""Writers for departments, users and role assignments."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from sanbu.core import audit
from sanbu.core.actor import Actor, Scope
from sanbu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sanbu.core.identifiers import check_uscc

from .models import Department, Jurisdiction, Profile, Role, RoleAssignment, RoleScope


@dataclass
class DepartmentResult:
    department: Department
    warnings: list[str] = field(default_factory=list)


def _jurisdiction(code: str) -> Jurisdiction:
    j = Jurisdiction.objects.filter(code=code.strip()).first()
    if j is None:
        raise ValidationFailed(
            "orgs.jurisdiction.unknown",
            f"行政区划代码“{code}”不存在：请填写 GB/T 2260 的 6 位代码，如 370300（淄博市）。",
        )
    return j


@transaction.atomic
def department_create(
    *, actor: Actor, name: str, uscc: str, jurisdiction: str, short_name: str = ""
) -> DepartmentResult:
    juris = _jurisdiction(jurisdiction)
    if not actor.can("orgs.department.manage", Scope(jurisdiction=juris.code)):
        raise NotFound("orgs.jurisdiction.not_found", "只有该行政区划的平台管理员可以登记部门。")
    name = name.strip()
    if not name:
        raise ValidationFailed("orgs.department.name_required", "部门名称不能为空。")
    check = check_uscc(uscc)
    if not check.ok:
        raise ValidationFailed(check.code.replace("uscc.", "orgs.uscc."), check.message)
    if Department.objects.filter(uscc=check.value).exists():
        raise Conflict("orgs.department.uscc_taken", f"统一社会信用代码 {check.value} 已被其他部门使用。")
    if Department.objects.filter(jurisdiction=juris, name=name).exists():
        raise Conflict("orgs.department.name_taken", f"{juris.name}已有名为“{name}”的部门。")
    dept = Department.objects.create(name=name, short_name=short_name, uscc=check.value, jurisdiction=juris)
    audit.record(actor=actor, action="orgs.department.create", obj=dept)
    return DepartmentResult(dept, list(check.warnings))


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    password: str,
    department: Department | None,
    roles: list[tuple[str, str | int]],
    display_name: str = "",
) -> object:
    """Create a user acting for ``department`` with ``roles`` as (role code, scope) pairs.

    The scope is a jurisdiction code for jurisdiction roles and a department id for department roles.
    """
    if not actor.is_superuser and not actor.may("orgs.department.manage"):
        raise PermissionDenied("orgs.user.forbidden", "只有平台管理员可以创建用户。")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise Conflict("orgs.user.taken", f"用户名“{username}”已存在。")
    user = User.objects.create_user(username=username, password=password)
    Profile.objects.create(user=user, department=department, display_name=display_name)
    for code, scope in roles:
        role = Role.objects.filter(code=code).first()
        if role is None:
            raise NotFound("orgs.role.not_found", f"角色“{code}”不存在。")
        if role.scope_kind == RoleScope.JURISDICTION:
            RoleAssignment.objects.create(user=user, role=role, jurisdiction=_jurisdiction(str(scope)))
        else:
            RoleAssignment.objects.create(user=user, role=role, department_id=int(scope))
    audit.record(
        actor=actor,
        action="orgs.user.create",
        obj=user,
        after={"username": username, "department": department.pk if department else None, "roles": roles},
    )
    return user
