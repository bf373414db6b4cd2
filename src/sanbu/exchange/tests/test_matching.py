"""Matching a need to the catalog: the right resource first, with reasons; never an unshared or invisible one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanbu.catalog.models import Resource
from sanbu.core.actor import Actor
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import matching

from .needs_support import NeedWorld, item, need_world, resource

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def w(db: Any) -> NeedWorld:
    return need_world()


def ids(result: matching.MatchResult) -> list[int]:
    return [p.resource_id for p in result.proposals]


def test_synonym_of_an_element_ranks_the_linked_resource_first(w: NeedWorld) -> None:
    result = matching.propose(
        actor=w.civil_consumer, title="低保申请人身份核验", desired_items=["身份证号", "姓名"],
        department_id=w.civil.pk,
    )  # fmt: skip
    assert result.proposals[0].resource_id == w.people.pk
    top = result.proposals[0]
    assert top.covered == ("身份证号", "姓名")
    assert any("数据元“公民身份号码”" in r and "身份证号" in r for r in top.reasons)
    assert result.covered
    assert w.draft.pk not in ids(result)  # the unpublished resource with the same items is never proposed
    assert all(p.score <= 100 for p in result.proposals)
    # ranked: every proposal after the first scores no higher
    scores = [p.score for p in result.proposals]
    assert scores == sorted(scores, reverse=True)


def test_fuzzy_item_name_and_full_text(w: NeedWorld) -> None:
    result = matching.propose(actor=w.civil_consumer, title="出生医学证明", desired_items=["新生儿名字"])
    assert result.proposals[0].resource_id == w.births.pk
    reasons = " ".join(result.proposals[0].reasons)
    assert "相近" in reasons and "全文检索第 1 位" in reasons
    assert not result.covered or result.proposals[0].covered == ("新生儿名字",)


def test_text_only_match_is_proposed_but_does_not_cover(w: NeedWorld) -> None:
    result = matching.propose(actor=w.civil_consumer, title="市场主体", desired_items=["吨位"])
    assert ids(result)[:1] == [w.companies.pk]
    assert result.proposals[0].covered == ()
    assert not result.covered


def test_own_resources_are_left_out(w: NeedWorld) -> None:
    result = matching.propose(
        actor=w.police_steward, title="人口", desired_items=["公民身份号码"], department_id=w.police.pk
    )
    assert w.people.pk not in ids(result)


def test_likely_provider_is_the_authority_of_the_named_elements(w: NeedWorld) -> None:
    one = matching.propose(actor=w.civil_consumer, title="死亡人员名单", desired_items=["死亡日期"])
    assert one.proposals == [] or not one.covered
    assert one.likely_provider == w.health.pk
    own = matching.propose(
        actor=w.civil_consumer, title="婚姻", desired_items=["婚姻状况"], department_id=w.civil.pk
    )
    assert own.likely_provider is None  # the needing department is itself the source
    two = matching.propose(actor=w.civil_consumer, title="x", desired_items=["死亡日期", "身份证号"])
    assert two.likely_provider is None and set(two.providers) == {w.health.pk, w.police.pk}


def test_blank_and_duplicate_items_are_ignored() -> None:
    assert matching.clean_items([" 姓名 ", "", "姓名", "  ", "性别"]) == ["姓名", "性别"]


# --- never an unpublished or invisible resource ------------------------------------------------------

VOCABULARY = [
    "公民身份号码",
    "身份证号",
    "姓名",
    "出生日期",
    "婚姻状况",
    "户籍地址",
    "现住址",
    "车牌号",
    "人口",
    "信息",
]


@pytest.fixture
def pool(w: NeedWorld) -> dict[str, Any]:
    """Resources in every state, of several departments; a steward who sees its own drafts."""
    other = make_department("济南市公安局", jurisdiction="370100")
    made = [w.people, w.companies, w.births, w.draft]
    names = [("公民身份号码", "公民身份号码"), ("姓名", "姓名"), ("户籍地址", "户籍地址"), ("婚姻状况", "")]
    for n, state in enumerate(["draft", "submitted", "approved", "mounted", "published", "offline"]):
        for dept in (w.police, w.market, other):
            picked = [item(a, b) for a, b in names[n % 4 :] + names[: n % 4]][:3]
            made.append(resource(dept, f"{dept.name[:4]}人口资源{state}{n}", picked, state=state))
    # published once, then edited: visible to everyone but no longer published (state draft)
    revised = resource(w.market, "人口信息修订中", [item("姓名", "姓名")])
    from sanbu.catalog import services as catalog
    from sanbu.catalog.inputs import ResourceInput
    from sanbu.core.actor import SYSTEM

    data = ResourceInput(
        name="人口信息修订中", catalog_class="3", subclass="业务数据", summary="修订", format="database",
        share_type="unconditional", share_method="api", update_cycle="daily", items=[item("姓名", "姓名")],
    )  # fmt: skip
    catalog.resource_update(actor=SYSTEM, resource_id=revised.pk, expected_version=None, data=data)
    actors = {
        "police_steward": w.police_steward,
        "civil_consumer": w.civil_consumer,
        "authority": w.authority,
        "jinan": actor_of(make_user("jinan_steward", department=other, roles=("steward",))),
    }
    return {"actors": actors, "made": made}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    who=st.sampled_from(["police_steward", "civil_consumer", "authority", "jinan"]),
    title=st.text(alphabet="人口信息身份公安登记名单 x1", max_size=12),
    desired=st.lists(st.sampled_from(VOCABULARY) | st.text(max_size=6), max_size=5),
)
def test_never_proposes_an_unshared_or_invisible_resource(
    pool: dict[str, Any], who: str, title: str, desired: list[str]
) -> None:
    actor: Actor = pool["actors"][who]
    result = matching.propose(
        actor=actor, title=title, desired_items=desired, department_id=actor.department_id
    )
    allowed = set(Resource.objects.visible_to(actor).shared().values_list("pk", flat=True))
    for p in result.proposals:
        assert p.resource_id in allowed, (p, who)
        r = Resource.objects.get(pk=p.resource_id)
        assert r.is_shared and r.department_id != actor.department_id
        assert 0 < p.score <= 100
