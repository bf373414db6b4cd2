"""Catalog search: Chinese substrings of unspaced titles, ranking, filters, visibility, odd input.

Runs on SQLite (FTS5) and PostgreSQL (tsvector) alike: ``DATABASE_URL=postgres://... pytest``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sanbu.catalog import search, services
from sanbu.catalog.inputs import ItemInput, ResourceInput
from sanbu.catalog.models import Resource, ResourceState, ShareType
from sanbu.catalog.search import SearchPage, parse_query, search_resources, tokenize
from sanbu.catalog.selectors import ResourceFilters
from sanbu.core.actor import ANONYMOUS, SYSTEM, Actor
from sanbu.core.testing import actor_of, make_department, make_user

pytestmark = pytest.mark.django_db


def _input(
    name: str, *, summary: str = "", items: tuple[str, ...] = ("记录编号",), **kw: Any
) -> ResourceInput:
    return ResourceInput(
        name=name, catalog_class=kw.pop("catalog_class", "3"), subclass="业务数据",
        summary=summary or f"{name}，按日更新。", format="database",
        share_type=kw.pop("share_type", ShareType.UNCONDITIONAL), share_method="api", update_cycle="daily",
        items=[ItemInput(name=i, data_type="C", length=50) for i in items], **kw,
    )  # fmt: skip


def register(actor: Actor, name: str, **kw: Any) -> Resource:
    department_id = kw.pop("department_id", None)
    return services.resource_register(actor=actor, data=_input(name, **kw), department_id=department_id)


def found(q: str, actor: Actor = SYSTEM, **kw: Any) -> list[str]:
    page = search_resources(actor=actor, q=q, limit=kw.pop("limit", 100), **kw)
    assert isinstance(page, SearchPage)
    assert page.total >= len(page.results)
    return [r.name for r in page.results]


@pytest.fixture(params=["ranked", "tiers"])
def both_paths(request: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a test on both paths: matches ranked one by one, and the tiers read newest first that large
    result sets use (forced here by a RANK_LIMIT of 0)."""
    if request.param == "tiers":
        monkeypatch.setattr(search, "RANK_LIMIT", 0)


def publish(*resources: Resource) -> None:
    Resource.objects.filter(pk__in=[r.pk for r in resources]).update(state=ResourceState.PUBLISHED)


# --- tokens and query parsing (no database) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("常住人口", ["常", "住", "人", "口"]),
        ("GDP数据2023年", ["gdp", "数", "据", "2023", "年"]),
        ("ＧＤＰ１２３", ["gdp123"]),
        ("3070211760000002004006/000033", ["3070211760000002004006", "000033"]),
        ("人口（户籍）·信息!", ["人", "口", "户", "籍", "信", "息"]),
        ("a_b 🙂 \"'*", ["a", "b"]),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_parse_query_shapes() -> None:
    assert [t.tokens for t in parse_query("人口").terms] == [("人", "口")]
    assert [t.tokens for t in parse_query("口 常住").terms] == [("口",), ("常", "住")]
    long = parse_query("常住人口基本信息")
    assert len(long.terms) > 1 and "".join("".join(t.tokens) for t in long.terms) == "常住人口基本信息"
    assert [c.tokens for c in long.chunks] == [tuple("常住人口基本信息")]
    assert not parse_query('🙂 * " AND')
    assert parse_query("gdp").terms[0].prefix
    assert len(parse_query(" ".join("一二三四五六七八九十甲乙丙丁戊己庚辛壬癸")).terms) == search.MAX_TERMS


# --- finding words inside unspaced titles -------------------------------------------------------------


@pytest.mark.usefixtures("both_paths")
def test_word_inside_unspaced_title(steward_actor: Actor) -> None:
    register(steward_actor, "常住人口基本信息", summary="全市常住人员的登记情况。")
    register(steward_actor, "法人单位登记信息", summary="企业及其他组织的登记情况。")
    for q in [
        "人口",
        "口",
        "住人",
        "基本信息",
        "常住人口基本信息",
        "人口基本",
        "口基",
        "常住人口",
        "常住 信息",
    ]:
        assert found(q) == ["常住人口基本信息"], q
    assert found("人口信息") == ["常住人口基本信息"]  # jieba words, each inside the title
    assert found("法人") == ["法人单位登记信息"]
    assert set(found("信息")) == {"常住人口基本信息", "法人单位登记信息"}
    assert found("人口法人") == []
    assert found("息常") == []  # characters of the title that are not adjacent do not match


@pytest.mark.usefixtures("both_paths")
def test_item_and_provider_matches(steward_actor: Actor, other_dept: Any) -> None:
    register(steward_actor, "不动产登记簿", items=("权利人名称", "不动产权证号", "坐落"))
    register(steward_actor, "户籍迁移记录", items=("迁出地", "迁入地"))
    other = actor_of(make_user("market", department=other_dept, roles=("steward",)))
    register(other, "个体工商户名录", items=("经营者姓名",))
    assert found("产权证") == ["不动产登记簿"]
    assert found("迁入") == ["户籍迁移记录"]
    assert found("经营者") == ["个体工商户名录"]
    assert set(found("公安")) == {"不动产登记簿", "户籍迁移记录"}  # provider 淄博市公安局
    assert found("市场监督") == ["个体工商户名录"]
    assert found("公安 迁出") == ["户籍迁移记录"]


@pytest.mark.usefixtures("both_paths")
def test_codes_and_latin_words(steward_actor: Actor) -> None:
    r = register(steward_actor, "GDP统计数据", code="3000000370300/000777", items=("GDP总量", "统计年度"))
    code_prefix = r.code.split("/")[0]
    assert found(r.code) == ["GDP统计数据"]
    assert found(code_prefix[:6]) == ["GDP统计数据"]
    for q in ["gdp", "GDP", "ＧＤＰ", "gd", "GDP统计", "统计数据"]:
        assert found(q) == ["GDP统计数据"], q
    assert found("gdx") == []


# --- ranking ---------------------------------------------------------------------------------------------


def test_name_matches_rank_above_other_columns(steward_actor: Actor) -> None:
    in_summary = register(
        steward_actor,
        "民政业务明细",
        summary="婚姻登记的业务明细。" * 8,
        items=("婚姻登记机关", "婚姻登记日期"),
    )
    in_name = register(steward_actor, "婚姻登记信息资源目录总表", summary="按日更新的业务数据。")
    in_items = register(steward_actor, "民政综合台账", items=("婚姻登记类型",))
    names = found("婚姻登记")
    assert names[0] == in_name.name
    assert set(names) == {in_name.name, in_summary.name, in_items.name}
    assert found("婚姻")[0] == in_name.name


def test_whole_phrase_ranks_above_scattered_words(steward_actor: Actor) -> None:
    register(steward_actor, "人口常住基本信息")
    register(steward_actor, "常住人口基本信息")
    assert found("常住人口基本信息")[0] == "常住人口基本信息"


def test_large_result_sets_rank_by_tier_then_newest(
    steward_actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "RANK_LIMIT", 2)
    monkeypatch.setattr(search, "COUNT_CAP", 100)
    starts = register(steward_actor, "人口统计年报")
    inside = register(steward_actor, "常住人口")
    inside_newer = register(steward_actor, "流动人口台账")
    elsewhere = register(steward_actor, "社区台账", items=("人口数",))
    starts_newer = register(steward_actor, "人口普查")
    expected = [starts_newer, starts, inside_newer, inside, elsewhere]
    page = search_resources(actor=SYSTEM, q="人口", limit=10)
    assert [r.name for r in page.results] == [r.name for r in expected]
    assert (page.total, page.capped) == (5, False)
    pages = [search_resources(actor=SYSTEM, q="人口", limit=2, offset=o).results for o in (0, 2, 4, 6)]
    assert [r.pk for p in pages for r in p] == [r.pk for r in expected]
    assert found("人口 台账") == [inside_newer.name, elsewhere.name]
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    page = search_resources(actor=SYSTEM, q="人口", limit=10)
    assert (page.total, page.capped, len(page.results)) == (3, True, 3)
    assert search_resources(actor=SYSTEM, q="人口", limit=10, offset=3).results == []


def test_small_result_sets_rank_exact_then_prefix_then_shorter(steward_actor: Actor) -> None:
    register(steward_actor, "城乡居民人口")
    register(steward_actor, "人口")
    register(steward_actor, "人口迁移登记")
    register(steward_actor, "人口统计")
    register(steward_actor, "户籍台账", items=("人口数",))
    assert found("人口") == ["人口", "人口统计", "人口迁移登记", "城乡居民人口", "户籍台账"]
    page = search_resources(actor=SYSTEM, q="人口")
    assert (page.total, page.capped) == (5, False)


# --- filters, visibility, paging ---------------------------------------------------------------------


@pytest.mark.usefixtures("both_paths")
def test_filters(steward_actor: Actor, authority_actor: Actor) -> None:
    county = make_department("淄川区公安分局", jurisdiction="370302")
    county_actor = actor_of(make_user("county", department=county, roles=("steward",)))
    base = register(steward_actor, "人口基础信息库", catalog_class="2", share_type=ShareType.UNCONDITIONAL)
    cond = register(
        steward_actor, "人口流动监测", share_type=ShareType.CONDITIONAL, share_condition="仅限公安机关使用"
    )
    local = register(county_actor, "人口普查汇总")
    publish(local)
    assert set(found("人口")) == {base.name, cond.name, local.name}
    assert found("人口", filters=ResourceFilters(catalog_class="2")) == [base.name]
    assert found("人口", filters=ResourceFilters(share_type=ShareType.CONDITIONAL)) == [cond.name]
    assert found("人口", filters=ResourceFilters(department_id=county.pk)) == [local.name]
    assert found("人口", filters=ResourceFilters(jurisdiction="370302")) == [local.name]
    assert len(found("人口", filters=ResourceFilters(jurisdiction="370300"))) == 3
    assert found("人口", filters=ResourceFilters(state=ResourceState.PUBLISHED)) == [local.name]
    assert found("人口", filters=ResourceFilters(jurisdiction="370100")) == []
    odd = ResourceFilters(catalog_class="🙂", share_type="a b'\"", jurisdiction="37*", department_id=-1)
    assert found("人口", filters=odd) == []
    assert found("人口", filters=ResourceFilters(share_type="x_y")) == []
    drafts = found("人口", actor=authority_actor, filters=ResourceFilters(state=ResourceState.DRAFT))
    assert set(drafts) == {cond.name, base.name}


@pytest.mark.usefixtures("both_paths")
def test_visibility(steward_actor: Actor, other_dept: Any) -> None:
    draft = register(steward_actor, "社会保险参保人员信息")
    shown = register(steward_actor, "社会保险缴费信息")
    publish(shown)
    other_steward = actor_of(make_user("other-steward", department=other_dept, roles=("steward",)))
    consumer = actor_of(make_user("consumer", department=other_dept, roles=("consumer",)))
    nobody = actor_of(make_user("nobody", department=other_dept))
    assert set(found("社会保险", actor=steward_actor)) == {draft.name, shown.name}
    assert found("社会保险", actor=other_steward) == [shown.name]
    assert found("参保", actor=other_steward) == []
    assert found("社会保险", actor=consumer) == [shown.name]
    assert found("社会保险", actor=nobody) == []
    assert found("社会保险", actor=ANONYMOUS) == []
    assert search_resources(actor=other_steward, q="参保").total == 0
    assert search_resources(actor=other_steward, q="").total == 1


def test_empty_query_lists_by_recency_and_pages(steward_actor: Actor) -> None:
    made = [register(steward_actor, f"第{n}批企业名录") for n in range(1, 6)]
    page = search_resources(actor=SYSTEM, q="  ", limit=2)
    assert page.total == 5 and [r.pk for r in page.results] == [made[4].pk, made[3].pk]
    page = search_resources(actor=SYSTEM, q="企业名录", limit=2, offset=4)
    assert page.total == 5 and len(page.results) == 1
    assert search_resources(actor=SYSTEM, q="企业名录", limit=2, offset=10).results == []
    assert search_resources(actor=SYSTEM, q="企业名录", limit=0).total == 5
    everything = search_resources(actor=SYSTEM, q="企业名录", limit=10)
    assert len({r.pk for r in everything.results}) == 5


@pytest.mark.usefixtures("both_paths")
def test_reindex_after_update(steward_actor: Actor) -> None:
    r = register(steward_actor, "食品经营许可信息", items=("许可证编号",))
    assert found("食品") == ["食品经营许可信息"]
    services.resource_update(
        actor=steward_actor, resource_id=r.pk, expected_version=r.version,
        data=_input("药品零售企业名录", items=("企业名称", "零售地址")),
    )  # fmt: skip
    assert found("食品") == [] and found("许可证") == []
    assert found("药品零售") == ["药品零售企业名录"]
    assert found("零售地址") == ["药品零售企业名录"]


def test_index_resources_in_bulk_and_rebuild(steward_actor: Actor) -> None:
    made = [register(steward_actor, f"排污许可证第{n}号台账") for n in range(30)]
    search.index_resources([r.pk for r in made] * 2 + [999_999_999])
    assert search_resources(actor=SYSTEM, q="排污许可").total == 30
    assert search.rebuild_index() == 30
    assert search_resources(actor=SYSTEM, q="台账").total == 30


ODD = [
    '"', '""', '"人口', "人口\"", "'", "AND", "OR", "NOT", "人口 AND", "AND 人口", "人口 OR 户籍", "NOT 人口", "*",
    "人口*", "**", "^人口", "-人口", "+人口", "人口:", "name:人口", "{name}:人口", "NEAR(人 口)", "(", ")",
    "()", "\\", "%", "_", "%%人口%%", "🙂", "人口🙂", "👨‍👩‍👧", "\x00", "\u200b人口\u200b", "'; DROP TABLE catalog_resource; --",
    "a" * 5000, "人" * 500, " ".join(["人口"] * 100), "ＡＮＤ", "＂人口＂", "@#$&|!~`", "人 口", "\t人口\n",
    "𠀀𠀁", "ㄅㄆ", "한국어", "Ωμέγα", "١٢٣", "0", "00000000000000000000000000000000000000000000000000000",
]  # fmt: skip


@pytest.mark.parametrize("q", ODD)
def test_odd_input_returns_normally(steward_actor: Actor, q: str) -> None:
    register(steward_actor, "常住人口基本信息")
    page = search_resources(actor=steward_actor, q=q, limit=5)
    assert isinstance(page, SearchPage) and page.total >= len(page.results)


@pytest.mark.usefixtures("both_paths")
def test_odd_input_still_finds(steward_actor: Actor) -> None:
    register(steward_actor, "常住人口基本信息")
    for q in [
        '"人口"',
        "人口*",
        "人口 AND 基本",
        "(人口)",
        "人口🙂",
        "\u200b人口",
        "＂人口＂",
        "ＡＮＤ 人口",
    ]:
        assert found(q) == ["常住人口基本信息"], q


# --- property: any substring of an indexed name finds it ------------------------------------------------

_HAN = "常住人口基本信息法人单位登记不动产权证号婚姻社会保险缴费企业名录食品药品经营许可淄博市张店区临淄"
_NAME_CHARS = st.sampled_from(_HAN + "·（）-、 ")


@pytest.mark.usefixtures("both_paths")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(_NAME_CHARS, min_size=1, max_size=40), data=st.data())
def test_any_substring_of_a_name_finds_it(steward_actor: Actor, name: str, data: st.DataObject) -> None:
    name = name.strip()
    assume(name and len(tokenize(name)) > 0)
    assert steward_actor.department_id is not None
    resource = Resource.objects.filter(department_id=steward_actor.department_id, name=name).first()
    resource = resource or register(steward_actor, name)
    start = data.draw(st.integers(0, len(name) - 1))
    end = data.draw(st.integers(start + 1, len(name)))
    q = name[start:end]
    assume(tokenize(q))
    page = search_resources(actor=steward_actor, q=q, limit=1000)
    assert resource.pk in {r.pk for r in page.results}, (name, q)
