"""The acceptance panel's pages: the authority appoints experts on the project page (recusal shown beside the
field), the panel's reviews listed there; the expert finds the task in 我的评审任务, reads the project, its
PRJ-K2 check and gate K, and submits the conclusion; outsiders get 404; user text is escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.html import escape

from sanbu.core.testing import actor_of, make_user
from sanbu.projects import acceptance
from sanbu.projects.models import AcceptanceReview, Project
from sanbu.projects.tests.support import World, world
from sanbu.projects.tests.test_lifecycle_documents import approved
from sanbu.web.tests.test_lifecycle_pages import block, client_of, done, html, lc_of, step, url

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def w(db: Any) -> World:
    return world()


@pytest.fixture
def p(w: World) -> Project:
    return approved(w)


def task_url(r: AcceptanceReview) -> str:
    return f"/projects/acceptance-reviews/{r.pk}/"


def test_the_authority_appoints_the_panel_on_the_project_page(w: World, p: Project) -> None:
    a = client_of(w.authority)
    form = block(html(a.get(url(p))), "panel_appoint")
    assert "指派验收专家" in form and "专家1（山东理工大学，第三方）" in form
    assert form.count('name="expert_ids"') == len(w.experts)
    # the unit's own staff: the error names them, beside the field, and nothing is written
    r = step(
        a,
        p,
        "panel_appoint",
        version=lc_of(p).version,
        expert_ids=[str(w.experts[0].pk), str(w.experts[1].pk)],
    )
    assert r.status_code == 400
    failed = block(html(r), "panel_appoint")
    assert "has-error" in failed and "专家0" in failed and "本单位人员，回避" in failed
    assert not AcceptanceReview.objects.exists()
    chosen = [w.experts[i] for i in (1, 3, 4)]
    page = done(a, p, "panel_appoint", version=lc_of(p).version, expert_ids=[str(e.pk) for e in chosen])
    assert "已指派验收专家。" in page
    assert set(AcceptanceReview.objects.filter(project=p).values_list("expert_id", flat=True)) == {
        e.pk for e in chosen
    }
    assert (lc_of(p).panel_members, lc_of(p).panel_third_party) == (3, 3)
    table = page[page.index('id="acceptance-reviews"') :]
    assert all(f'data-expert="{e.pk}"' in table for e in chosen) and "未提交" in table
    # the unit sees the panel too, but not the form
    unit = html(client_of(w.applicant).get(url(p)))
    assert 'id="acceptance-reviews"' in unit and 'id="step-panel_appoint"' not in unit
    # a stale version is a conflict
    assert step(a, p, "panel_appoint", version=1, expert_ids=[str(w.experts[5].pk)]).status_code == 409


def test_the_expert_sees_the_task_and_submits_the_form(w: World, p: Project) -> None:
    panel = [w.experts[i] for i in (1, 3, 4)]
    acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[e.pk for e in panel])
    r = AcceptanceReview.objects.get(project=p, expert=panel[0])
    c = client_of(w.expert_actors[panel[0].pk])
    tasks = html(c.get("/projects/reviews/"))
    assert (
        'id="acceptance-tasks"' in tasks and "验收任务" in tasks and task_url(r) in tasks and p.name in tasks
    )
    page = c.get(task_url(r))
    body = html(page)
    assert page.status_code == 200
    for part in ('id="sharing-check"', 'id="gate-K"', 'data-rule="PRJ-K4"', 'id="acceptance-materials"',
                 'id="review-form"', "同意通过验收", w.own.name):  # fmt: skip
        assert part in body, part
    # errors in place, in Chinese; nothing written
    bad = c.post(task_url(r), {"conclusion": "", "opinion": ""})
    assert bad.status_code == 400
    form = html(bad)[html(bad).index('id="review-form"') :]
    assert "请选择验收结论：同意通过验收或不同意。" in form and "请填写验收意见。" in form
    assert form.count("has-error") == 2
    assert AcceptanceReview.objects.get(pk=r.pk).reviewed_at is None
    ok = c.post(task_url(r), {"conclusion": "agree", "opinion": "系统运行稳定，同意通过验收"})
    assert ok.status_code == 302 and ok["Location"] == "/projects/reviews/"
    saved = AcceptanceReview.objects.get(pk=r.pk)
    assert saved.conclusion == "agree" and saved.reviewed_at is not None
    after = html(c.get(task_url(r)))
    assert 'id="my-review"' in after and 'id="review-form"' not in after
    # a second post is a conflict shown in place
    again = c.post(task_url(r), {"conclusion": "disagree", "opinion": "改变主意"})
    assert again.status_code == 409 and "不能重复提交" in html(again)
    assert AcceptanceReview.objects.get(pk=r.pk).conclusion == "agree"
    # the authority's page lists the conclusion
    project_page = html(client_of(w.authority).get(url(p)))
    assert 'data-conclusion="agree"' in project_page and "系统运行稳定，同意通过验收" in project_page


def test_an_outsider_or_another_expert_gets_404(w: World, p: Project) -> None:
    acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[w.experts[1].pk])
    r = AcceptanceReview.objects.get(project=p)
    stranger = actor_of(make_user("stranger_expert", roles=("expert",), jurisdiction="370300"))
    for actor in (w.expert_actors[w.experts[3].pk], stranger, w.authority, w.applicant):
        c = client_of(actor)
        assert c.get(task_url(r)).status_code == 404
        assert c.post(task_url(r), {"conclusion": "agree", "opinion": "x"}).status_code == 404
    assert c.get("/projects/acceptance-reviews/999999/").status_code == 404
    assert AcceptanceReview.objects.get(pk=r.pk).reviewed_at is None
    # the unit cannot appoint: the step is the authority's
    assert (
        step(client_of(w.applicant), p, "panel_appoint", expert_ids=[str(w.experts[3].pk)]).status_code == 404
    )


def test_the_opinion_is_escaped(w: World, p: Project) -> None:
    acceptance.panel_appoint(actor=w.authority, project_id=p.pk, expert_ids=[w.experts[1].pk])
    r = AcceptanceReview.objects.get(project=p)
    evil = '<script>alert("x")</script>'
    c = client_of(w.expert_actors[w.experts[1].pk])
    # a posted opinion shown again after an error is escaped
    bad = c.post(task_url(r), {"conclusion": "", "opinion": evil})
    assert bad.status_code == 400 and evil not in html(bad) and escape(evil) in html(bad)
    assert c.post(task_url(r), {"conclusion": "disagree", "opinion": evil}).status_code == 302
    for page in (html(c.get(task_url(r))), html(client_of(w.authority).get(url(p)))):
        assert evil not in page and escape(evil) in page
