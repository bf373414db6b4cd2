"""The dashboard pages through the Django test client: the leaders' dashboard (every chart's JSON, the table
under it and its xlsx download give the same numbers), a department's page and an indicator's rows for each
role (a steward lands on its own department, never another; an outsider gets 404), the authority's build
button when no snapshot exists and its third-party score form; user text escaped."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from sanbu.orgs.models import Department
from sanbu.scoring.models import ExternalScore, Snapshot
from sanbu.scoring.tests.test_selectors import ScoringWorld, scoring_world

pytestmark = pytest.mark.django_db(databases="__all__")

DASHBOARD_CHARTS = ("trend", "ranking", "overdue", "blocked", "money")


@pytest.fixture
def sw() -> ScoringWorld:
    return scoring_world()


def client(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def chart_json(page: str, key: str) -> dict[str, Any]:
    m = re.search(rf'<script id="chart-data-{key}" type="application/json">(.*?)</script>', page, re.S)
    assert m, f"no JSON for chart {key}"
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def table_rows(page: str, key: str) -> list[tuple[str, list[float | None]]]:
    m = re.search(rf'<table class="table compact" data-chart-table="{key}">(.*?)</table>', page, re.S)
    assert m, f"no table for chart {key}"
    out = []
    for head, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', m.group(1), re.S):
        values = [None if v == "—" else float(v) for v in re.findall(r'<td class="num">(.*?)</td>', cells)]
        out.append((html.unescape(re.sub(r"<[^>]+>", "", head)).strip(), values))
    return out


def as_table(data: dict[str, Any]) -> list[tuple[str, list[float | None]]]:
    return [
        (c, [None if s["data"][i] is None else float(s["data"][i]) for s in data["series"]])
        for i, c in enumerate(data["categories"])
    ]


def test_leader_dashboard_charts_tables_and_xlsx_agree(sw: ScoringWorld) -> None:
    previous, current = sw.months
    leader = client("s_leader")
    response = leader.get("/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in page and "web/charts.js" in page and "cdn" not in page.lower()
    assert '<a href="/dashboard/" class="active" aria-current="page">看板</a>' in page
    for key in DASHBOARD_CHARTS:
        assert f'data-chart-source="chart-data-{key}"' in page, key
        data = chart_json(page, key)
        assert data["categories"], key
        assert table_rows(page, key) == as_table(data), key
        # the xlsx download: the same numbers
        link = re.search(rf'<a class="chart-xlsx" href="(/dashboard/charts/{key}\.xlsx[^"]*)"', page)
        assert link, key
        xlsx = leader.get(html.unescape(link.group(1)))
        assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
        ws = load_workbook(io.BytesIO(xlsx.content)).active
        assert ws is not None
        rows = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
        assert [(r[0], [None if v is None else float(v) for v in r[1:]]) for r in rows] == as_table(data), key

    ranking = chart_json(page, "ranking")
    assert ranking["categories"][:2] == [sw.w.unit.name, sw.w.provider.name]
    assert ranking["links"][0] == f"/dashboard/departments/{sw.w.unit.pk}/?month={current}&tree=sharing-zibo"
    assert [p for p in chart_json(page, "trend")["categories"]] == [previous, current]
    money = dict(zip(chart_json(page, "money")["categories"], chart_json(page, "money")["series"][0]["data"],
                     strict=True))  # fmt: skip
    assert money["冻结的拨付批次"] == 100_000 and money["已收回的资金"] == 100_000
    assert "PRJ-F2" in page and sw.projects["p2"].name in page  # projects blocked and why
    # the previous month, chosen above
    older = leader.get("/dashboard/", {"month": previous}).content.decode()
    assert chart_json(older, "trend")["categories"] == [previous]


def test_outsider_and_no_snapshot(sw: ScoringWorld) -> None:
    jinan = client("s_jinan")
    page = jinan.get("/dashboard/").content.decode()  # 济南: nothing built yet, not the authority
    assert 'id="no-snapshot"' in page and "build-snapshot" not in page
    assert jinan.get("/dashboard/", {"jurisdiction": "370300"}).status_code == 404
    assert jinan.get(f"/dashboard/departments/{sw.w.unit.pk}/").status_code == 404
    assert jinan.get(f"/dashboard/departments/{sw.w.unit.pk}/gates/").status_code == 404
    assert jinan.get("/dashboard/charts/ranking.xlsx", {"jurisdiction": "370300"}).status_code == 404
    assert client("s_leader").get("/dashboard/charts/nope.xlsx").status_code == 404


def test_authority_builds_a_snapshot_from_the_notice(sw: ScoringWorld) -> None:
    from sanbu.core.testing import make_user

    make_user("jn_auth", roles=("authority",), jurisdiction="370100")
    authority = client("jn_auth")
    page = authority.get("/dashboard/").content.decode()
    assert 'id="no-snapshot"' in page and 'id="build-snapshot"' in page
    response = authority.post("/dashboard/build/", {"jurisdiction": "370100", "month": sw.months[1]})
    assert response.status_code == 302
    assert Snapshot.objects.filter(jurisdiction_id="370100").count() == 1
    page = authority.get(response["Location"]).content.decode()
    assert "已生成" in page and 'id="no-snapshot"' not in page
    assert client("s_leader").post("/dashboard/build/", {"jurisdiction": "370300"}).status_code == 404


def test_steward_lands_on_its_own_department(sw: ScoringWorld) -> None:
    steward = client("s_gaj")
    response = steward.get("/dashboard/")
    assert (
        response.status_code == 302 and response["Location"] == f"/dashboard/departments/{sw.w.provider.pk}/"
    )
    page = steward.get(response["Location"]).content.decode()
    assert 'id="department-rank">2 / 3<' in page and "下一步" in page
    assert 'id="external-form"' not in page and "看板</a> ›" not in page  # no jurisdiction-wide view
    for key in ("department-trend", "department-indicators"):
        data = chart_json(page, key)
        assert table_rows(page, key) == as_table(data)
        xlsx = steward.get(f"/dashboard/charts/{key}.xlsx", {"department": sw.w.provider.pk})
        ws = load_workbook(io.BytesIO(xlsx.content)).active
        assert ws is not None
        cells = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
        assert [(r[0], [None if v is None else float(v) for v in r[1:]]) for r in cells] == as_table(data)
    # indicator table links to the rows behind a leaf
    assert f'href="/dashboard/departments/{sw.w.provider.pk}/catalog_published/?month={sw.months[1]}"' in page
    rows = steward.get(f"/dashboard/departments/{sw.w.provider.pk}/catalog_published/").content.decode()
    assert "已注册未发布的资源" in rows and f'href="/catalog/resources/{sw.w.unpublished.pk}/"' in rows
    assert sw.w.unpublished.name in rows
    for url in (f"/dashboard/departments/{sw.w.unit.pk}/", f"/dashboard/departments/{sw.w.unit.pk}/gates/",
                "/dashboard/charts/ranking.xlsx"):  # fmt: skip
        assert steward.get(url, {"jurisdiction": "370300"}).status_code == 404, url
    assert (
        steward.get(f"/dashboard/charts/department-trend.xlsx?department={sw.w.unit.pk}").status_code == 404
    )


def test_leader_department_page_and_rows(sw: ScoringWorld) -> None:
    leader = client("s_leader")
    page = leader.get(f"/dashboard/departments/{sw.w.unit.pk}/").content.decode()
    assert 'id="department-rank">1 / 3<' in page and "看板</a> ›" in page
    assert "ratio(projects_passing, projects_checked)" in page and "在建和已验收项目数" in page
    assert 'id="external-form"' not in page  # only the authority enters scores
    rows = leader.get(f"/dashboard/departments/{sw.w.unit.pk}/gates/").content.decode()
    assert "关口检查不通过的项目" in rows and f'href="/projects/{sw.projects["p2"].pk}/lifecycle/"' in rows
    assert leader.get(f"/dashboard/departments/{sw.w.unit.pk}/catalog/").status_code == 404  # not a leaf


def test_authority_enters_a_third_party_score(sw: ScoringWorld) -> None:
    authority = client("s_auth")
    url = f"/dashboard/departments/{sw.third.pk}/"
    assert 'id="external-form"' in authority.get(url).content.decode()
    response = authority.post(f"{url}external/", {"month": sw.months[1], "source": "third_party", "score": "77",
                                                  "basis": "2026 年第三方评估报告"})  # fmt: skip
    assert response.status_code == 302
    assert float(ExternalScore.objects.get(department=sw.third, source="third_party").score) == 77
    bad = authority.post(f"{url}external/", {"month": sw.months[1], "source": "third_party", "score": "170",
                                             "basis": ""}, follow=True).content.decode()  # fmt: skip
    assert "得分应为 0 到 100 之间的数字" in bad and "请填写评分依据" in bad
    assert client("s_leader").post(f"{url}external/", {"month": sw.months[1]}).status_code == 404


def test_user_text_is_escaped(sw: ScoringWorld) -> None:
    Department.objects.filter(pk=sw.third.pk).update(name="<i>民政局</i>")
    page = client("s_leader").get("/dashboard/").content.decode()
    assert "<i>" not in page
    assert "&lt;i&gt;民政局&lt;/i&gt;" in page  # the table
    assert (
        "<i>民政局</i>" in chart_json(page, "ranking")["categories"]
    )  # the chart's JSON, escaped in the page
    assert "\\u003Ci\\u003E" in page
