"""共享申请 pages through the Django test client: request, track, answer, ledger; errors in place."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from sanbu.catalog.models import Resource
from sanbu.core.actor import Actor
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import services
from sanbu.exchange.models import ConsumerApp, Grant, RequestState, ShareRequest
from sanbu.exchange.tests.sharing import item_ids, published_resource

pytestmark = pytest.mark.django_db(databases="__all__")

SH = ZoneInfo("Asia/Shanghai")
HX = {"HX-Request": "true"}


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def consumer_dept() -> Any:
    return make_department("淄博市民政局")


@pytest.fixture
def consumer(consumer_dept: Any) -> Any:
    return make_user("c_consumer", department=consumer_dept, roles=("consumer",))


@pytest.fixture
def app(consumer_dept: Any) -> ConsumerApp:
    steward = actor_of(make_user("c_steward", department=consumer_dept, roles=("steward",)))
    return services.app_register(actor=steward, name="婚姻登记系统")


@pytest.fixture
def conditional(dept: Any) -> Resource:
    return published_resource(dept, "人口基本信息")


def form(app: ConsumerApp, resource: Resource, *names: str, **over: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "app": app.pk, "items": item_ids(resource, *(names or ("公民身份号码", "姓名"))),
        "purpose": "婚姻登记时核验当事人身份", "legal_basis": "《婚姻登记条例》第七条",
        "period_start": "2026-01-01", "period_end": "2030-12-31",
    }  # fmt: skip
    data.update(over)
    return data


def submit(user: Any, app: ConsumerApp, resource: Resource, **over: Any) -> ShareRequest:
    kwargs: dict[str, Any] = dict(
        app_id=app.pk, resource_id=resource.pk, item_ids=item_ids(resource, "公民身份号码", "姓名"),
        purpose="婚姻登记时核验当事人身份", legal_basis="《婚姻登记条例》第七条",
        period_start=dt.date(2026, 1, 1), period_end=dt.date(2030, 12, 31),
    )  # fmt: skip
    kwargs.update(over)
    return services.request_submit(actor=actor_of(user), **kwargs)


def act(c: Client, req: ShareRequest, action: str, **data: Any) -> Any:
    version = ShareRequest.objects.get(pk=req.pk).version
    return c.post(f"/exchange/inbox/{req.pk}/{action}/", {"version": version, **data}, headers=HX)


# --- pages for the right roles ----------------------------------------------------------------------


def test_each_page_for_the_right_role(consumer: Any, steward: Any, authority: Any, dept: Any) -> None:
    c, s, a = client_for(consumer), client_for(steward), client_for(authority)
    home = html(c.get("/"))
    assert "我的申请" in home and "待办申请" not in home and "共享台账" not in home
    assert c.get("/exchange/requests/").status_code == 200
    assert c.get("/exchange/inbox/").status_code == 404
    assert c.get("/exchange/ledger/").status_code == 404

    home = html(s.get("/"))
    assert "我的申请" in home and "待办申请" in home and "共享台账" not in home
    assert "没有待办的共享申请" in html(s.get("/exchange/inbox/"))
    assert s.get("/exchange/ledger/").status_code == 404

    home = html(a.get("/"))
    assert "我的申请" not in home and "待办申请" in home and "共享台账" in home
    assert a.get("/exchange/inbox/").status_code == 200
    page = html(a.get("/exchange/ledger/"))
    assert "共享台账" in page and "逾期未答复" in page
    assert a.get("/exchange/requests/").status_code == 404

    unit = client_for(make_user("unit", department=dept, roles=("project_unit",)))
    for url in ("/exchange/requests/", "/exchange/inbox/", "/exchange/ledger/"):
        assert unit.get(url).status_code == 404


def test_login_required(client: Client, conditional: Resource) -> None:
    for url in ("/exchange/requests/", "/exchange/inbox/", "/exchange/ledger/",
                f"/exchange/resources/{conditional.pk}/request/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_request_button_and_form(consumer: Any, app: ConsumerApp, dept: Any, steward: Any) -> None:
    resource = published_resource(dept, "婚姻状况信息", item_share_type="none")
    c = client_for(consumer)
    page = html(c.get(f"/catalog/resources/{resource.pk}/"))
    assert 'id="request-share"' in page and "申请共享" in page
    page = html(c.get(f"/exchange/resources/{resource.pk}/request/"))
    assert "婚姻登记系统" in page and "使用方审批或备案" not in page
    marital = item_ids(resource, "婚姻状况")[0]
    assert re.search(rf'value="{marital}" id="rq-item-{marital}" disabled', page)
    assert "不予共享，不能申请（CAT-5）" in page
    # an unpublished resource offers no request button
    draft = published_resource(dept, "未发布资源", publish=False)
    assert 'id="request-share"' not in html(client_for(steward).get(f"/catalog/resources/{draft.pk}/"))


def test_secret_resource_asks_for_the_consumer_side_approval(
    consumer: Any, app: ConsumerApp, dept: Any
) -> None:
    secret = published_resource(dept, "涉密资源", secrecy="secret")
    c = client_for(consumer)
    assert "使用方审批或备案（涉密）" in html(c.get(f"/exchange/resources/{secret.pk}/request/"))
    response = c.post(f"/exchange/resources/{secret.pk}/request/", form(app, secret))
    assert response.status_code == 403 or response.status_code == 422 or response.status_code == 409
    page = html(response)
    assert "CAT-6" in page and "申请涉密资源须有使用方的审批或备案" in page
    assert not ShareRequest.objects.exists()


def test_unconditional_request_is_granted_at_once(consumer: Any, app: ConsumerApp, dept: Any) -> None:
    resource = published_resource(dept, "户籍人口名单", share_type="unconditional")
    c = client_for(consumer)
    response = c.post(f"/exchange/resources/{resource.pk}/request/", form(app, resource), follow=True)
    page = html(response)
    assert "已立即授权" in page and "已授权" in page
    assert Grant.objects.filter(request__resource=resource).count() == 1


def test_invalid_form_errors_in_place(consumer: Any, app: ConsumerApp, conditional: Resource) -> None:
    c = client_for(consumer)
    response = c.post(
        f"/exchange/resources/{conditional.pk}/request/",
        form(app, conditional, purpose="  ", period_end="not-a-date"),
    )
    page = html(response)
    assert response.status_code == 400
    assert "请填写使用期限止" in page
    assert "婚姻登记条例" in page  # what was typed is kept
    response = c.post(f"/exchange/resources/{conditional.pk}/request/", form(app, conditional, purpose=""))
    assert "请填写用途" in html(response)
    assert not ShareRequest.objects.exists()


# --- the full flow ----------------------------------------------------------------------------------


def test_full_flow_request_accept_approve_grant(
    consumer: Any, app: ConsumerApp, conditional: Resource, authority: Any, steward: Any
) -> None:
    c = client_for(consumer)
    response = c.post(f"/exchange/resources/{conditional.pk}/request/", form(app, conditional))
    req = ShareRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exchange/requests/{req.pk}/"
    page = html(c.get(response["Location"]))
    assert "办理中" in page and "答复期限" in page and f"{req.due_date:%Y-%m-%d}" in page
    page = html(c.get("/exchange/requests/"))
    assert f"#{req.pk}" in page and "待受理" in page

    # the authority accepts (受理) from its queue, as an htmx row action
    a = client_for(authority)
    page = html(a.get("/exchange/inbox/"))
    assert f'id="inbox-{req.pk}"' in page and "受理" in page
    assert 'id="inbox-' not in html(client_for(steward).get("/exchange/inbox/"))  # not yet its step
    response = act(a, req, "accept")
    assert response.status_code == 200 and "已受理" in html(response)
    assert html(response).startswith(f'<tr id="inbox-{req.pk}"')

    # the provider approves, lifting the masking of 姓名 only
    s = client_for(steward)
    page = html(s.get("/exchange/inbox/"))
    assert f'id="inbox-{req.pk}"' in page and "取消“姓名”脱敏" in page
    response = act(s, req, "approve", lift=item_ids(conditional, "姓名"))
    assert response.status_code == 200 and "授权已生效" in html(response)

    req.refresh_from_db()
    assert req.state == RequestState.GRANTED
    page = html(c.get("/exchange/requests/"))
    assert "我的授权" in page and "有效" in page and "婚姻登记系统" in page
    assert '公民身份号码 · <span class="muted">身份证号</span>' in page
    assert '姓名 · <span class="muted">不脱敏</span>' in page
    assert "已授权" in html(c.get(f"/exchange/requests/{req.pk}/"))


def test_plain_post_approve_redirects_with_message(
    consumer: Any, app: ConsumerApp, conditional: Resource, authority_actor: Actor, steward: Any
) -> None:
    req = submit(consumer, app, conditional)
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    s = client_for(steward)
    response = s.post(f"/exchange/inbox/{req.pk}/approve/", {"version": 2})
    assert response.status_code == 302 and response["Location"] == "/exchange/inbox/"
    assert "授权已生效" in html(s.get("/exchange/inbox/"))


def test_refusal_needs_a_reason_then_resubmit(
    consumer: Any, app: ConsumerApp, conditional: Resource, authority: Any
) -> None:
    req = submit(consumer, app, conditional)
    a = client_for(authority)
    response = act(a, req, "refuse", reason="  ")
    assert response.status_code == 400
    page = html(response)
    assert "请填写拒绝理由" in page and f'<tr id="inbox-{req.pk}"' in page
    assert ShareRequest.objects.get(pk=req.pk).state == RequestState.PENDING
    # without htmx: the whole queue, the error on the row
    response = a.post(f"/exchange/inbox/{req.pk}/refuse/", {"version": 1, "reason": ""})
    assert response.status_code == 400 and "请填写拒绝理由" in html(response) and "待办申请" in html(response)

    response = act(a, req, "refuse", reason="用途与共享条件不符")
    assert response.status_code == 200 and "已拒绝" in html(response)

    c = client_for(consumer)
    page = html(c.get("/exchange/requests/"))
    assert "用途与共享条件不符" in page and "修改后重新提交" in page
    response = c.post(
        f"/exchange/requests/{req.pk}/resubmit/",
        {"version": 2, "purpose": "婚姻登记时核验双方身份", "legal_basis": "《婚姻登记条例》第七条",
         "period_start": "2026-01-01", "period_end": "2030-12-31"},
    )  # fmt: skip
    new = ShareRequest.objects.get(parent=req)
    assert response.status_code == 302 and response["Location"] == f"/exchange/requests/{new.pk}/"
    assert new.round == 2 and new.purpose == "婚姻登记时核验双方身份"
    assert "第 2 轮" in html(c.get(response["Location"]))
    # resubmitting the closed round again: error in place
    response = c.post(f"/exchange/requests/{req.pk}/resubmit/", {"version": 3, "purpose": "再来"})
    assert response.status_code == 409 and "只有被拒绝的申请" in html(response)


def test_own_department_approval_shows_the_ex2_rule(
    steward: Any, steward_actor: Actor, conditional: Resource, authority_actor: Actor
) -> None:
    own_app = services.app_register(actor=steward_actor, name="本部门应用")
    req = submit(steward, own_app, conditional)
    services.request_accept(actor=authority_actor, request_id=req.pk, expected_version=1)
    response = act(client_for(steward), req, "approve")
    page = html(response)
    assert response.status_code in (403, 409, 422)
    assert "EX-2" in page and "不能审批本部门提出的共享申请" in page
    assert "由提供部门或平台管理部门的其他人员审批" in page and "approver_department" in page
    assert ShareRequest.objects.get(pk=req.pk).state == RequestState.PENDING


def test_stale_version_says_changed_by_someone_else(
    consumer: Any, app: ConsumerApp, conditional: Resource, authority: Any
) -> None:
    req = submit(consumer, app, conditional)
    a = client_for(authority)
    response = a.post(f"/exchange/inbox/{req.pk}/accept/", {"version": 7}, headers=HX)
    assert response.status_code == 409 and "已被他人修改，请刷新" in html(response)
    # another reviewer already answered: the plain POST shows the error on top of the queue
    services.request_refuse(actor=actor_of(authority), request_id=req.pk, expected_version=1, reason="不符")
    response = a.post(f"/exchange/inbox/{req.pk}/accept/", {"version": 1})
    assert response.status_code == 409 and "请刷新" in html(response)


def test_out_of_scope_is_404(
    consumer: Any, app: ConsumerApp, conditional: Resource, other_dept: Any, authority: Any
) -> None:
    req = submit(consumer, app, conditional)
    outsider = client_for(make_user("other_consumer", department=other_dept, roles=("consumer",)))
    assert outsider.get(f"/exchange/requests/{req.pk}/").status_code == 404
    assert f"#{req.pk}" not in html(outsider.get("/exchange/requests/"))
    other_steward = client_for(make_user("other_steward", department=other_dept, roles=("steward",)))
    assert act(other_steward, req, "refuse", reason="越权").status_code == 404
    jinan = make_user("jinan_auth", department=make_department("济南市大数据局", "370100"),
                      roles=("authority",), jurisdiction="370100")  # fmt: skip
    j = client_for(jinan)
    assert act(j, req, "accept").status_code == 404
    assert j.get(f"/exchange/requests/{req.pk}/").status_code == 404
    assert f"#{req.pk}" not in html(j.get("/exchange/ledger/"))
    assert client_for(authority).get("/exchange/requests/999999/").status_code == 404
    assert client_for(consumer).get("/exchange/resources/999999/request/").status_code == 404
    assert act(client_for(authority), req, "bogus").status_code == 404
    assert ShareRequest.objects.get(pk=req.pk).state == RequestState.PENDING


def test_purpose_text_is_escaped_everywhere(
    consumer: Any, app: ConsumerApp, conditional: Resource, authority: Any
) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    c = client_for(consumer)
    c.post(f"/exchange/resources/{conditional.pk}/request/", form(app, conditional, purpose=evil))
    req = ShareRequest.objects.get()
    pages = [
        c.get("/exchange/requests/"),
        c.get(f"/exchange/requests/{req.pk}/"),
        client_for(authority).get("/exchange/inbox/"),
        client_for(authority).get("/exchange/ledger/"),
    ]
    for response in pages:
        page = html(response)
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in html(pages[1])
    # and on the form when it is sent back with an error
    response = c.post(
        f"/exchange/resources/{conditional.pk}/request/", form(app, conditional, purpose=evil, legal_basis="")
    )
    assert "<script>alert" not in html(response) and "&lt;script&gt;" in html(response)


def test_overdue_marked_and_listed_first_in_the_ledger(
    consumer: Any, app: ConsumerApp, conditional: Resource, authority: Any, monkeypatch: pytest.MonkeyPatch,
    steward: Any, dept: Any,
) -> None:  # fmt: skip
    monkeypatch.setattr(services, "_now", lambda: dt.datetime(2025, 3, 3, 10, tzinfo=SH))
    late = submit(consumer, app, conditional)
    monkeypatch.undo()
    fresh = submit(consumer, app, conditional, purpose="新的申请")
    a = client_for(authority)
    page = html(a.get("/exchange/ledger/"))
    assert page.index('id="ledger-overdue"') < page.index('id="ledger-table"')
    overdue_section = page[page.index('id="ledger-overdue"') : page.index('id="ledger-table"')]
    assert f"#{late.pk}" in overdue_section and f"#{fresh.pk}<" not in overdue_section
    assert "逾期" in overdue_section
    # counts by state and the filters
    page = html(a.get("/exchange/ledger/?overdue=1"))
    table = page[page.index('id="ledger-table"') :]
    assert f"#{late.pk}<" in table and f"#{fresh.pk}<" not in table
    page = html(a.get(f"/exchange/ledger/?state=granted&provider={dept.pk}"))
    assert "没有符合条件的申请" in page
    page = html(a.get(f"/exchange/ledger/?consumer={app.department_id}"))
    assert f"#{fresh.pk}<" in page[page.index('id="ledger-table"') :]
    # the inbox puts the overdue one first, in red; the consumer sees the mark too
    page = html(a.get("/exchange/inbox/"))
    assert page.index(f'id="inbox-{late.pk}"') < page.index(f'id="inbox-{fresh.pk}"')
    assert f'<tr id="inbox-{late.pk}" class="row-error">' in page
    assert "逾期" in html(client_for(consumer).get("/exchange/requests/"))
