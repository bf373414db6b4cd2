"""Demo data for 供需对接 and 数据异议, built through the services after the catalog and exchange demo.

Needs in each state: one matched to a proposed resource, one routed and waiting, one routed a month ago
and now overdue, one closed because the provider cannot provide it. Objections on the demo grants: one
open, one answered (data is right), one corrected. The overdue need is posted with the services' clock
set back a month (``needs._now``), as if it had been posted then: everything else is as the services
write it, change records and notices included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sanbu.core.actor import Actor
from sanbu.core.identifiers import make_citizen_id
from sanbu.exchange import feedback, needs
from sanbu.exchange.models import DataNeed, Grant, NeedState
from sanbu.orgs.models import Department, RoleAssignment
from sanbu.orgs.selectors import actor_for_user

REQUEST_ID = "demo-load"


def _actor(username: str) -> Actor:
    return actor_for_user(get_user_model().objects.get(username=username), request_id=REQUEST_ID)


def _steward_of(department_id: int) -> Actor:
    assignment = (
        RoleAssignment.objects.filter(role__code="steward", department_id=department_id)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if assignment is None:
        raise LookupError(f"部门 {department_id} 没有数据管理员账号")
    return actor_for_user(assignment.user, request_id=REQUEST_ID)


@contextmanager
def _as_of(when: datetime) -> Iterator[None]:
    saved = needs._now
    needs._now = lambda: when
    try:
        yield
    finally:
        needs._now = saved


def _route(authority: Actor, need: DataNeed, provider: Department, note: str) -> DataNeed:
    """Routed automatically at posting, or by the authority when the provider was not clear."""
    if need.state == NeedState.ROUTED:
        return need
    return needs.need_route(
        actor=authority, need_id=need.pk, expected_version=need.version, provider_department_id=provider.pk,
        note=note,
    )  # fmt: skip


def load_needs() -> dict[str, int]:
    """Needs and objections on top of a freshly loaded demo; returns how many of each were made."""
    with transaction.atomic():
        return _load()


def _load() -> dict[str, int]:
    mzj, rsj, ybj = _actor("mzj_steward"), _actor("rsj_steward"), _actor("ybj_steward")
    consumer, authority = _actor("consumer"), _actor("admin_dsj")
    health = Department.objects.get(pk=_actor("wjw_steward").department_id or 0)
    police = Department.objects.get(pk=_actor("gaj_steward").department_id or 0)

    # 1. proposed → matched: the catalog has it
    matched = needs.need_post(
        actor=consumer, title="低保申请人身份核验", description="审核低保申请时核验申请人及共同生活家庭成员的身份",
        desired_items=["身份证号", "姓名", "出生日期"], purpose="社会救助审核",
    )  # fmt: skip
    if matched.proposals:
        needs.need_accept(
            actor=consumer, need_id=matched.pk, expected_version=matched.version,
            resource_id=int(matched.proposals[0]["resource"]),
        )  # fmt: skip

    # 2. routed and waiting for the provider's answer
    waiting = needs.need_post(
        actor=rsj, title="死亡人员信息比对", description="养老金领取资格认证时比对死亡人员，及时停发待遇",
        desired_items=["死亡日期", "死亡医学证明编号"], purpose="社保待遇资格认证",
    )  # fmt: skip
    _route(authority, waiting, health, "死亡医学证明由卫生健康部门管理")

    # 3. routed a month ago and not answered: overdue, on the authority's ledger
    with _as_of(timezone.now() - timedelta(days=30)):
        late = needs.need_post(
            actor=ybj, title="新生儿出生登记信息", description="新生儿参保登记时核对出生医学证明信息",
            desired_items=["出生医学证明编号", "新生儿姓名", "母亲身份证号"], purpose="城乡居民医保参保登记",
        )  # fmt: skip
        _route(authority, late, health, "出生医学证明由卫生健康部门签发")

    # 4. closed: the provider cannot provide it, with its reason
    refused = needs.need_post(
        actor=mzj, title="流浪乞讨人员指纹比对", description="救助管理站核实受助人员身份",
        desired_items=["指纹特征值"], purpose="救助管理",
    )  # fmt: skip
    refused = _route(authority, refused, police, "指纹信息由公安机关采集")
    needs.need_answer(
        actor=_steward_of(refused.routed_to_id or police.pk), need_id=refused.pk, expected_version=refused.version, can_provide=False,
        reply="指纹特征值属于敏感个人信息，依法不予共享；可通过人像比对接口核验身份，请另行申请。",
    )  # fmt: skip

    # objections on the grants the exchange demo made: open, answered (data is right), corrected
    made = 0
    grants = list(Grant.objects.select_related("resource").order_by("id")[:3])
    texts = [
        ("姓名中的生僻字显示为问号", "户口簿复印件（窗口留存）", "𬌗"),
        ("婚姻状况与婚姻登记记录不一致", "婚姻登记证书编号 J370303-2023-001234", "已婚"),
        ("出生日期与身份证号码中的出生日期不一致", "居民身份证复印件", "1985-03-01"),
    ]
    for n, grant in enumerate(grants * 3 if len(grants) < 3 else grants):
        if n >= 3:
            break
        steward = _steward_of(grant.consumer_department_id)
        description, evidence, expected = texts[n]
        obj = feedback.objection_submit(
            actor=steward, resource_id=grant.resource_id, description=description, evidence=evidence,
            expected_value=expected, record_key=make_citizen_id("370303", date(1985, 3, 1), 20 + n),
        )  # fmt: skip
        provider = _steward_of(obj.provider_department_id)
        if n == 1:
            feedback.objection_answer(
                actor=provider, objection_id=obj.pk, expected_version=obj.version, corrected=False,
                answer="经核对婚姻登记底册，该记录已于登记当日更新，数据无误；请以最新接口返回为准。",
            )  # fmt: skip
        elif n == 2:
            feedback.objection_answer(
                actor=provider, objection_id=obj.pk, expected_version=obj.version, corrected=True,
                answer="已按居民身份证更正出生日期，次日同步至共享平台。",
            )  # fmt: skip
        made += 1
    return {"needs": DataNeed.objects.count(), "objections": made}
