"""What a project unit fills in (the API body, the web form): plain values, validated by ``services``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from sanbu.policy.facts import ProjectKind

# The plan flags of PRJ-A3/A6 the applicant states (names as on the model), with their defaults.
PLAN_FLAGS: dict[str, bool] = {
    "builds_machine_room_or_cloud": False,
    "buys_server_hardware": False,
    "leases_internet_line": False,
    "private_network": False,
    "on_gov_cloud": True,
    "uses_secure_reliable": True,
    "crypto_compliant": True,
    "security_compliant": True,
    "internal_integrated": True,
    "hardware_outside_cloud": False,
    "central_or_provincial": False,
    "integrates_systems": False,
    "cross_boundary": False,
}


@dataclass(frozen=True)
class ProjectData:
    name: str
    kind: str = ProjectKind.NEW.value
    amount: int = 0
    plan_year: int = 0
    category: str = "其他"
    project_class: str = "other"
    funding_source: str = ""
    content: str = ""
    technical_route: str = ""
    involves_secrets: bool = False
    started_before_approval: bool = False
    dynamic_addition: bool = False
    unified_build: bool = False
    library_entry_date: date | None = None
    materials: dict[str, str] = field(default_factory=dict)
    builds_machine_room_or_cloud: bool = False
    buys_server_hardware: bool = False
    leases_internet_line: bool = False
    private_network: bool = False
    on_gov_cloud: bool = True
    uses_secure_reliable: bool = True
    crypto_compliant: bool = True
    security_compliant: bool = True
    internal_integrated: bool = True
    hardware_outside_cloud: bool = False
    hardware_outside_cloud_reason: str = ""
    design_life_years: int | None = None
    construction_months: int | None = None
    central_or_provincial: bool = False
    integrates_systems: bool = False
    cross_boundary: bool = False
    uses: tuple[int, ...] = ()  # catalog resource ids the project will use
    provides: tuple[int, ...] = ()  # catalog resource ids (the unit's own) the project will provide
    provides_new: tuple[str, ...] = ()  # resources it will provide that are not catalogued yet
    systems: tuple[int, ...] = ()  # inventory systems the project builds on or changes

    def model_values(self) -> dict[str, Any]:
        """The values stored on the Project row itself (not the resource and system links)."""
        skip = {"uses", "provides", "systems", "provides_new"}
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        out["provides_new"] = list(self.provides_new)
        return out
