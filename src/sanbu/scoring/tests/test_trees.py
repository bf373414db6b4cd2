"""Indicator trees: the shipped ones load with a citation on every node, 淄博's only changes weights, a bad
file is refused naming the node, and scoring redistributes the weight of what could not be scored."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sanbu.scoring import trees
from sanbu.scoring.trees import Node, NodeScore, Tree, TreeError
from sanbu.scoring.vocabulary import FACT_NAMES

SHIPPED = ("dimensions", "sharing", "sharing-zibo")


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Trees read from ``tmp_path`` (``NAME.yaml``) through the ``_read`` seam, the cache emptied around."""

    def read(name: str) -> Any:
        path = tmp_path / f"{name}.yaml"
        if not path.is_file():
            raise TreeError(f"没有名为“{name}”的指标体系")
        return yaml.safe_load(path.read_text(encoding="utf-8"))

    trees.load.cache_clear()
    monkeypatch.setattr(trees, "_read", read)
    yield tmp_path
    trees.load.cache_clear()


def write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


GOOD = """\
    name: small
    title: 小指标体系
    citation: 测试依据
    root:
      key: total
      name: 综合
      citation: 总依据
      children:
        - key: a
          name: 甲
          weight: 3
          citation: 甲依据
          formula: ratio(requests_on_time, requests_due)
        - key: b
          name: 乙
          weight: 1
          citation: 乙依据
          formula: score(third_party)
"""


def test_shipped_trees_are_available_and_load() -> None:
    assert set(SHIPPED) <= set(trees.available())
    for name in SHIPPED:
        tree = trees.load(name)
        assert tree.name == name and tree.title and tree.citation
        assert tree.root.formula is None and tree.root.children


@pytest.mark.parametrize("name", SHIPPED)
def test_every_node_has_a_citation_and_every_leaf_a_known_formula_and_remedy(name: str) -> None:
    tree = trees.load(name)
    keys = [n.key for n in tree.nodes()]
    assert len(keys) == len(set(keys))
    for node in tree.nodes():
        assert node.citation.strip(), node.key
        assert node.weight > 0
        assert (node.formula is None) != (not node.children), node.key
        if node.formula is not None:
            assert node.formula.names <= set(FACT_NAMES), node.key
            assert node.remedy, node.key


def test_the_trees_cover_the_issues_indicators() -> None:
    read = {n for node in trees.load("sharing").nodes() if node.formula for n in node.formula.names}
    # catalog completeness, 一数一源, exchange, projects, systems docked, entered scores
    assert {"catalog_registered", "catalog_items_linked", "catalog_mounted", "catalog_published",
            "catalog_updated", "conflicts_open", "duplicate_items", "requests_on_time", "objections_on_time",
            "calls", "consumers", "projects_passing", "reports_overdue", "funds_recovered", "systems_docked",
            "third_party", "public_feedback"} <= read  # fmt: skip
    dims = [c.name for c in trees.load("dimensions").root.children]
    assert dims == [
        "政府治理精细度",
        "公共服务体验度",
        "数据共享与开放价值度",
        "制度规范包容度",
        "数字基础设施感知度",
    ]


def test_zibo_inherits_the_nodes_and_changes_only_weights() -> None:
    base, zibo = trees.load("sharing"), trees.load("sharing-zibo")
    assert zibo.title == "淄博市政务信息资源共享考核指标体系"
    assert [n.key for n in zibo.nodes()] == [n.key for n in base.nodes()]
    changed = {}
    for a, b in zip(base.nodes(), zibo.nodes(), strict=True):
        assert (a.name, a.citation, a.remedy) == (b.name, b.citation, b.remedy)
        assert (a.formula and a.formula.text) == (b.formula and b.formula.text)
        if a.weight != b.weight:
            changed[a.key] = (a.weight, b.weight)
    assert changed == {"docking": (10.0, 15.0), "exchange": (30.0, 35.0), "catalog": (30.0, 25.0)}


def test_a_good_small_file_loads(files: Path) -> None:
    write(files, "small", GOOD)
    tree = trees.load("small")
    assert [n.key for n in tree.nodes()] == ["total", "a", "b"]
    assert tree.node("a").weight == 3.0 and tree.node("b").formula is not None
    with pytest.raises(KeyError):
        tree.node("zzz")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("          citation: 乙依据\n", "", "small/total/b：缺少依据"),  # missing citation
        ("          citation: 乙依据\n", "          citation: '  '\n", "small/total/b：缺少依据"),
        (
            "          formula: score(third_party)\n",
            "          formula: score(third_party)\n          children:\n            - {key: c, name: 丙, citation: x,"
            " formula: score(third_party)}\n",
            "small/total/b：应有公式",
        ),  # both formula and children
        ("          formula: score(third_party)\n", "", "small/total/b：应有公式"),  # neither
        ("          weight: 1\n", "          weight: -1\n", "small/total/b：权重应为正数"),  # negative weight
        ("          weight: 1\n", "          weight: 0\n", "small/total/b：权重应为正数"),
        ("          weight: 1\n", "          weight: 很重\n", "small/total/b：权重应为正数"),
        ("        - key: b\n", "        - key: a\n", "指标 key 重复：a"),  # duplicate keys
        ("score(third_party)", "score(salary)", "small/total/b：公式“score(salary)”引用了未知的事实：salary"),
        ("score(third_party)", "third_party.real", "small/total/b：公式“third_party.real”含有不允许的写法"),
        ("          name: 乙\n", "", "small/total/b：缺少 key 或 name"),
    ],
)
def test_bad_files_name_the_node(files: Path, old: str, new: str, words: str) -> None:
    assert old in GOOD
    write(files, "small", GOOD.replace(old, new))
    with pytest.raises(TreeError) as exc:
        trees.load("small")
    assert words in str(exc.value)


def test_bad_child_trees_and_files(files: Path) -> None:
    write(files, "small", GOOD)
    write(files, "child", "name: child\nparent: small\nweights: {a: 2, nowhere: 1}\n")
    with pytest.raises(TreeError, match="要调整权重的指标不存在：nowhere"):
        trees.load("child")
    write(files, "child2", "name: child2\nparent: small\nweights: {b: -2}\n")
    with pytest.raises(TreeError, match="b：权重应为正数"):
        trees.load("child2")
    write(files, "child3", "name: child3\nparent: small\nweights: {b: 5}\n")
    assert trees.load("child3").node("b").weight == 5.0 and trees.load("child3").node("a").weight == 3.0
    write(files, "orphan", "name: orphan\nparent: gone\n")
    with pytest.raises(TreeError, match="没有名为“gone”的指标体系"):
        trees.load("orphan")
    write(files, "empty", "")
    with pytest.raises(TreeError, match="empty"):
        trees.load("empty")
    write(files, "list", "- 1\n- 2\n")
    with pytest.raises(TreeError, match="list"):
        trees.load("list")
    write(files, "noroot", "name: noroot\n")
    with pytest.raises(TreeError, match="noroot：应为一个指标"):
        trees.load("noroot")


def test_the_real_reader_refuses_an_unknown_tree() -> None:
    with pytest.raises(TreeError, match="没有名为“nosuch”的指标体系"):
        trees.load("nosuch")


def test_scoring_a_small_tree_by_hand(files: Path) -> None:
    write(files, "small", GOOD)
    tree = trees.load("small")
    # a = 3/4 → 75, b = 60 → 0.6 → 60; total = (3·75 + 1·60) / 4 = 71.25
    s = trees.score(tree, {"requests_on_time": 3, "requests_due": 4, "third_party": 60})
    assert (s["a"].score, s["b"].score, s["total"].score) == (75.0, 60.0, 71.25)
    assert (s["a"].share, s["b"].share, s["total"].share) == (0.75, 0.25, 1.0)
    assert s["a"].inputs == {"requests_due": 4, "requests_on_time": 3} and s["total"].inputs == {}
    # nothing entered: b is not scored, its weight goes to a → total = a = 75, a's share 1
    s = trees.score(tree, {"requests_on_time": 3, "requests_due": 4, "third_party": None})
    assert (s["b"].score, s["b"].share, s["total"].score, s["a"].share) == (None, 0.0, 75.0, 1.0)
    # no requests due and nothing entered: nothing scores, not even the root (no obligation ≠ full marks)
    s = trees.score(tree, {"requests_on_time": 0, "requests_due": 0})
    assert all(ns.score is None and ns.share == 0 for ns in s.values())
    # above 1 is limited to 100, below 0 to 0
    s = trees.score(tree, {"requests_on_time": 9, "requests_due": 4, "third_party": -5})
    assert (s["a"].score, s["b"].score) == (100.0, 0.0)


FACT_VALUE = st.one_of(st.none(), st.integers(0, 50).map(float), st.floats(-10, 1e6, allow_nan=False))
FACTS = st.fixed_dictionaries({k: FACT_VALUE for k in sorted(FACT_NAMES)})


def _check_node(node: Node, out: dict[str, NodeScore]) -> None:
    ns = out[node.key]
    assert ns.score is None or 0 <= ns.score <= 100
    assert ns.weight == node.weight
    if not node.children:
        return
    for c in node.children:
        _check_node(c, out)
    scored = [(c.weight, out[c.key].score) for c in node.children if out[c.key].score is not None]
    if not scored:
        assert ns.score is None and ns.share == 0
        return
    mean = sum(w * v for w, v in scored if v is not None) / sum(w for w, _ in scored)
    assert ns.score == pytest.approx(mean, abs=1e-3)
    # the node's share is split among its scored children in proportion to their weights
    live = sum(w for w, _ in scored)
    for c in node.children:
        child = out[c.key]
        expected = ns.share * c.weight / live if child.score is not None else 0.0
        assert child.share == pytest.approx(expected, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(FACTS)
def test_root_is_the_weighted_mean_of_scored_children_and_shares_sum_to_one(
    facts: dict[str, float | None],
) -> None:
    for name in SHIPPED:
        tree: Tree = trees.load(name)
        out = trees.score(tree, facts)
        assert set(out) == {n.key for n in tree.nodes()}
        _check_node(tree.root, out)
        root = out[tree.root.key]
        leaves = [out[n.key] for n in tree.nodes() if n.formula is not None]
        if root.score is None:
            assert all(leaf.score is None for leaf in leaves)
        else:
            assert root.share == 1.0
            assert sum(leaf.share for leaf in leaves if leaf.score is not None) == pytest.approx(1.0)
            # the root is also the share-weighted sum of its leaves
            total = sum(leaf.share * (leaf.score or 0) for leaf in leaves)
            assert root.score == pytest.approx(total, abs=1e-2)


def test_an_unscored_branch_gives_its_weight_to_its_siblings() -> None:
    tree = trees.load("sharing")
    facts = {k: 0.0 for k in FACT_NAMES} | {"third_party": None, "public_feedback": None}
    facts |= {"requests_due": 4, "requests_on_time": 3}
    out = trees.score(tree, facts)
    # scored: 共享申请按期答复 3/4 = 75; 服务部门数 per(0, 3) = 0 and 接口调用量 per(0, 1000) = 0 (a count
    # of zero is measured: nobody was served); 权威来源冲突 penalty(0, 0.2) = 100. Every ratio over a zero
    # count (catalog, projects, docking, duplicates) is not scored, nor are the entered scores.
    assert out["third_party"].score is None and out["public"].score is None
    assert out["catalog"].score is None and out["catalog"].share == 0
    assert out["projects"].score is None and out["docking"].score is None and out["duplicates"].score is None
    # platform takes the whole weight (third party and public not entered): share 1
    assert out["platform"].share == 1.0
    # among platform's children only exchange (30) and yishu (15) score: shares 30/45 and 15/45
    assert out["exchange"].share == pytest.approx(30 / 45) and out["yishu"].share == pytest.approx(15 / 45)
    # exchange: requests 10, consumers 5, calls 5 (objections, needs unscored) → live weight 20
    assert out["requests_on_time"].share == pytest.approx(30 / 45 * 10 / 20)
    assert out["consumers"].share == pytest.approx(30 / 45 * 5 / 20)
    assert out["objections_on_time"].share == 0
    # exchange = (10·75 + 5·0 + 5·0) / 20 = 37.5; yishu = 100 (conflicts only)
    assert out["exchange"].score == 37.5 and out["yishu"].score == 100.0
    # total = platform = (30·37.5 + 15·100) / 45 = 2625 / 45 = 58.3333
    assert out["platform"].score == pytest.approx(58.3333, abs=1e-4)
    assert out["total"].score == pytest.approx(58.3333, abs=1e-4)
