"""Catalog rules (CAT-*): pure functions over frozen facts about one resource."""

from __future__ import annotations

from dataclasses import dataclass

from ..decisions import Decision, Fact, Outcome
from ..sources import source_of


@dataclass(frozen=True)
class ItemFacts:
    name: str
    share_type: str  # effective: unconditional / conditional / none
    element: str | None


@dataclass(frozen=True)
class ResourceFacts:
    code: str
    share_type: str
    share_condition: str
    no_share_basis: str
    secrecy: str
    data_grade: str
    mounted: bool
    state: str
    items: tuple[ItemFacts, ...] = ()


def _decision(rule_id: str, outcome: Outcome, reason: str, fact: Fact, remedy: str) -> Decision:
    return Decision(rule_id, outcome, reason, fact, remedy, source_of(rule_id))


def share_attribute(r: ResourceFacts) -> Decision:
    """CAT-5: 有条件 states its condition; 不予共享 cites a basis."""
    if r.share_type == "conditional" and not r.share_condition.strip():
        return _decision(
            "CAT-5", Outcome.BLOCK, "有条件共享的资源未填写共享条件",
            Fact("share_condition", ""), "填写具体的共享条件（如：仅限办理社保业务的部门使用）",
        )  # fmt: skip
    if r.share_type == "none" and not r.no_share_basis.strip():
        return _decision(
            "CAT-5", Outcome.BLOCK, "不予共享的资源未提供法律、行政法规或国务院决定的依据",
            Fact("no_share_basis", ""), "填写不予共享的法律或政策依据，或改为有条件共享",
        )  # fmt: skip
    return Decision("CAT-5", Outcome.ALLOW, source=source_of("CAT-5"))


def mounted_before_publish(r: ResourceFacts) -> Decision:
    """CAT-4: only mounted resources are published."""
    if not r.mounted:
        return _decision(
            "CAT-4", Outcome.BLOCK, "资源尚未挂接数据或接口，不能发布",
            Fact("mounted", False), "先上传数据（xlsx/CSV）或登记服务接口完成挂接，再发布",
        )  # fmt: skip
    return Decision("CAT-4", Outcome.ALLOW, source=source_of("CAT-4"))


def items_reference_elements(r: ResourceFacts) -> Decision:
    """CAT-3: items should reference standard data elements (a warning, not a block)."""
    unlinked = [i.name for i in r.items if i.element is None]
    if unlinked:
        return _decision(
            "CAT-3", Outcome.WARN, f"{len(unlinked)} 个信息项未关联标准数据元",
            Fact("unlinked_items", unlinked[:10]), "在信息项中引用数据元标准中的名称或标识符",
        )  # fmt: skip
    return Decision("CAT-3", Outcome.ALLOW, source=source_of("CAT-3"))


def can_publish(r: ResourceFacts) -> list[Decision]:
    return [share_attribute(r), mounted_before_publish(r), items_reference_elements(r)]


def can_submit(r: ResourceFacts) -> list[Decision]:
    return [share_attribute(r), items_reference_elements(r)]
