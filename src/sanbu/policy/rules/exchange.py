"""Sharing rules (EX-*, with CAT-4/5/6 as they bear on a share request): pure functions over frozen facts.

The exchange services build ``RequestFacts`` from a share request (or a request about to be made) and
ask ``can_submit`` before recording it, ``can_approve`` before an approver signs a step and
``can_grant`` before a grant is created. Each answer is a list of decisions citing their source.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..decisions import Decision, Fact, Outcome
from ..decisions import allow as _allow
from ..decisions import cite as _decision


@dataclass(frozen=True)
class RequestedItem:
    id: int
    name: str
    share_type: str  # effective: unconditional / conditional / none


@dataclass(frozen=True)
class RequestFacts:
    resource_code: str
    resource_state: str  # catalog ResourceState value
    mounted: bool
    secrecy: str  # non_secret / secret
    items: tuple[RequestedItem, ...]
    consumer_department_id: int
    provider_department_id: int
    consumer_approval: str = ""  # 涉密: the consumer side's approval (document, approver), recorded at submit
    provider_approved: bool = False  # 涉密: the provider side's approval step has been signed


def is_unconditional(r: RequestFacts) -> bool:
    """EX-2: a request for unconditionally shared items only (of a non-secret resource) needs no review."""
    return bool(r.items) and r.secrecy != "secret" and all(i.share_type == "unconditional" for i in r.items)


def resource_shared(r: RequestFacts) -> Decision:
    """CAT-4 / EX-2: only a published, mounted resource is shared and can be requested or granted."""
    if r.resource_state != "published" or not r.mounted:
        return _decision(
            "CAT-4", Outcome.BLOCK, f"资源 {r.resource_code} 尚未挂接并发布，不属于已共享资源",
            Fact("resource_state", {"state": r.resource_state, "mounted": r.mounted}),
            "待提供部门完成挂接并发布后再申请",
        )  # fmt: skip
    return _allow("CAT-4")


def items_shareable(r: RequestFacts) -> Decision:
    """CAT-5: 不予共享 items cannot be requested or granted; a request names at least one item."""
    if not r.items:
        return _decision(
            "EX-2", Outcome.BLOCK, "申请未列出任何信息项",
            Fact("items", []), "按需共享：勾选业务确需的信息项",
        )  # fmt: skip
    refused = [i.name for i in r.items if i.share_type == "none"]
    if refused:
        return _decision(
            "CAT-5", Outcome.BLOCK, f"信息项“{'、'.join(refused)}”为不予共享，不能申请或授权",
            Fact("no_share_items", refused), "从申请中去掉这些信息项；如确需使用，请提供部门依法调整其共享属性",
        )  # fmt: skip
    return _allow("CAT-5")


def secret_consumer_side(r: RequestFacts) -> Decision:
    """CAT-6 (at submit): a 涉密 request carries the consumer side's approval."""
    if r.secrecy == "secret" and not r.consumer_approval.strip():
        return _decision(
            "CAT-6", Outcome.BLOCK, "申请涉密资源须有使用方的审批或备案",
            Fact("consumer_approval", ""), "填写本单位保密审批或备案（文号、审批人），再提交申请",
        )  # fmt: skip
    return _allow("CAT-6")


def secret_both_sides(r: RequestFacts) -> Decision:
    """CAT-6 (at grant): a 涉密 resource is granted only with both sides' approval recorded."""
    if r.secrecy == "secret":
        missing = [
            side
            for side, ok in (("使用方", bool(r.consumer_approval.strip())), ("提供方", r.provider_approved))
            if not ok
        ]
        if missing:
            return _decision(
                "CAT-6", Outcome.BLOCK, f"涉密资源共享须经双方审批或备案，缺少{'、'.join(missing)}的审批",
                Fact("missing_approvals", missing), "由缺少的一方完成审批或备案后再授权",
            )  # fmt: skip
    return _allow("CAT-6")


def not_own_department(approver_department_id: int | None, r: RequestFacts) -> Decision:
    """EX-2: the provider answers the consumer; nobody approves their own department's request."""
    if approver_department_id is not None and approver_department_id == r.consumer_department_id:
        return _decision(
            "EX-2", Outcome.BLOCK, "不能审批本部门提出的共享申请",
            Fact("approver_department", approver_department_id), "由提供部门或平台管理部门的其他人员审批",
        )  # fmt: skip
    return _allow("EX-2")


def can_submit(r: RequestFacts) -> list[Decision]:
    return [resource_shared(r), items_shareable(r), secret_consumer_side(r)]


def can_approve(approver_department_id: int | None, r: RequestFacts) -> list[Decision]:
    return [not_own_department(approver_department_id, r), resource_shared(r), items_shareable(r)]


def can_grant(r: RequestFacts) -> list[Decision]:
    return [resource_shared(r), items_shareable(r), secret_both_sides(r)]
