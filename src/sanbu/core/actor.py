"""The actor: who is acting (user, department, role assignments), passed to every service and selector.

Permissions are data (``orgs.Role.actions``): an assignment grants a role's actions over a scope, either a
department or a jurisdiction together with everything below it. A superuser is the platform authority
everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def jurisdiction_prefix(code: str) -> str:
    """GB/T 2260 code → the prefix its descendants share (370000 → 37, 370300 → 3703)."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def jurisdiction_covers(ancestor: str, code: str) -> bool:
    return code.startswith(jurisdiction_prefix(ancestor))


@dataclass(frozen=True)
class Scope:
    """Where an object lives: its owning department (if any) and jurisdiction code."""

    jurisdiction: str
    department_id: int | None = None


@dataclass(frozen=True)
class Assignment:
    role: str
    actions: frozenset[str]
    jurisdiction: str | None = None
    department_id: int | None = None

    def covers(self, scope: Scope) -> bool:
        if self.department_id is not None:
            return scope.department_id == self.department_id
        if self.jurisdiction is not None:
            return jurisdiction_covers(self.jurisdiction, scope.jurisdiction)
        return False


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    department_id: int | None = None
    department_uscc: str = ""
    department_name: str = ""
    jurisdiction: str = ""
    assignments: tuple[Assignment, ...] = ()
    is_superuser: bool = False
    request_id: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def has_any_role(self) -> bool:
        return self.is_superuser or bool(self.assignments)

    def has_role(self, role: str) -> bool:
        return (self.is_superuser and role == "authority") or any(a.role == role for a in self.assignments)

    def may(self, action: str) -> bool:
        """Whether any assignment grants the action somewhere (scope decided per object)."""
        return self.is_superuser or any(action in a.actions for a in self.assignments)

    def can(self, action: str, scope: Scope) -> bool:
        if self.is_superuser:
            return True
        return any(action in a.actions and a.covers(scope) for a in self.assignments)

    def jurisdictions_for(self, action: str) -> list[str]:
        """Jurisdiction prefixes where the action is granted jurisdiction-wide."""
        return [
            jurisdiction_prefix(a.jurisdiction)
            for a in self.assignments
            if action in a.actions and a.jurisdiction is not None
        ]

    def departments_for(self, action: str) -> list[int]:
        return [a.department_id for a in self.assignments if action in a.actions and a.department_id]


SYSTEM = Actor(user_id=None, username="system", is_superuser=True)
ANONYMOUS = Actor(user_id=None, username="")


def request_actor(request: object) -> Actor:
    """The actor ActorMiddleware attached to a request (typed access for views and endpoints)."""
    actor = getattr(request, "actor", None)
    return actor if actor is not None else ANONYMOUS
