"""应用与密钥 pages through the Django test client, and the key-carrying API answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import services
from sanbu.exchange.keys import authenticate_key
from sanbu.exchange.models import AppKey, ConsumerApp

from .support import stored_text

pytestmark = pytest.mark.django_db(databases="__all__")

KEY = re.compile(r"sk_[0-9a-f]{8}\.[A-Za-z0-9_-]{43}")


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def html(response: Any) -> str:
    return response.content.decode()


def shown_key(response: Any) -> str:
    found = KEY.findall(html(response))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def app(steward_actor: Any) -> ConsumerApp:
    return services.app_register(actor=steward_actor, name="居住证办理系统", system_name="居住证管理平台")


def test_nav_entry_only_for_those_who_may_view_apps(steward: Any, dept: Any) -> None:
    assert "应用与密钥" in html(client_for(steward).get("/"))
    unit = make_user("unit", department=dept, roles=("project_unit",))
    c = client_for(unit)
    assert "应用与密钥" not in html(c.get("/"))
    assert c.get("/exchange/apps/").status_code == 404


def test_login_required(client: Client, app: ConsumerApp) -> None:
    for url in ("/exchange/apps/", f"/exchange/apps/{app.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(f"/exchange/apps/{app.pk}/keys/").status_code == 302
    assert not AppKey.objects.exists()


def test_register_issue_copy_rotate_revoke_disable(steward: Any) -> None:
    c = client_for(steward)
    page = html(c.get("/exchange/apps/"))
    assert "还没有登记应用" in page and "登记应用" in page and 'aria-current="page">应用与密钥' in page

    response = c.post(
        "/exchange/apps/",
        {"name": "不动产登记系统", "purpose": "核验产权人身份", "system_name": "不动产平台"},
    )
    app = ConsumerApp.objects.get(name="不动产登记系统")
    assert response.status_code == 302 and response["Location"] == f"/exchange/apps/{app.pk}/"
    page = html(c.get(response["Location"]))
    assert "已登记应用" in page and "签发新密钥" in page and "还没有密钥" in page

    # issue: the key is in this one response, marked no-store, with a copy button and the warning
    response = c.post(f"/exchange/apps/{app.pk}/keys/", {"expires": "90"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = html(response)
    first = shown_key(response)
    assert "只显示一次" in page and 'data-copy="#new-key-value"' in page and "复制" in page
    assert authenticate_key(first) is not None
    key = AppKey.objects.get()
    assert key.expires_at is not None
    assert first not in str(response.cookies) and first.split(".")[1] not in stored_text()

    # never again: the page lists the key id, not the key
    page = html(c.get(f"/exchange/apps/{app.pk}/"))
    assert key.key_id in page and first not in page and first.split(".")[1] not in page
    assert 'data-key-status="active"' in page and "只显示一次" not in page

    # rotate by htmx with a grace period: a fragment with the new key; the old one in grace
    response = c.post(f"/exchange/keys/{key.pk}/rotate/", {"grace": "24"}, headers={"HX-Request": "true"})
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    fragment = html(response)
    assert (
        fragment.lstrip().startswith('<section class="card flush" id="keys-panel"')
        and "<html" not in fragment
    )
    second = shown_key(response)
    assert second != first and "只显示一次" in fragment
    assert 'data-key-status="expiring"' in fragment and "轮换宽限期" in fragment
    assert authenticate_key(first) is not None and authenticate_key(second) is not None

    # revoke: a reason is required, then it is refused at once and marked
    response = c.post(f"/exchange/keys/{key.pk}/revoke/", {"reason": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and "请填写吊销原因" in html(response)
    assert authenticate_key(first) is not None
    response = c.post(
        f"/exchange/keys/{key.pk}/revoke/", {"reason": "旧服务器下线"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = html(response)
    assert (
        "已吊销，立即失效" in fragment
        and 'data-key-status="revoked"' in fragment
        and "旧服务器下线" in fragment
    )
    assert authenticate_key(first) is None and authenticate_key(second) is not None

    # disable the app: every key stops working, the page says so and offers no more key actions
    response = c.post(f"/exchange/apps/{app.pk}/disable/", {"reason": "系统整合"})
    assert response.status_code == 302
    page = html(c.get(f"/exchange/apps/{app.pk}/"))
    assert (
        "应用已停用" in page
        and "系统整合" in page
        and "签发新密钥" not in page
        and ">轮换</button>" not in page
    )
    assert authenticate_key(second) is None
    response = c.post(f"/exchange/apps/{app.pk}/keys/", {})
    assert response.status_code == 409 and "已停用" in html(response)


def test_rotate_without_grace_marks_the_old_key_revoked(
    steward: Any, steward_actor: Any, app: ConsumerApp
) -> None:
    issued = services.key_issue(actor=steward_actor, app_id=app.pk)
    response = client_for(steward).post(f"/exchange/keys/{issued.key.pk}/rotate/", {"grace": "0"})
    assert response.status_code == 200
    page = html(response)
    assert shown_key(response) != issued.plaintext
    assert re.search(rf"{issued.key.key_id}.*?data-key-status=\"revoked\"", page, re.S)
    assert authenticate_key(issued.plaintext) is None


def test_expired_keys_are_marked(steward: Any, steward_actor: Any, app: ConsumerApp) -> None:
    from datetime import timedelta

    from django.utils import timezone

    issued = services.key_issue(actor=steward_actor, app_id=app.pk)
    AppKey.objects.filter(pk=issued.key.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = html(client_for(steward).get(f"/exchange/apps/{app.pk}/"))
    assert 'data-key-status="expired"' in page and "已过期" in page


def test_register_errors_are_shown_next_to_the_field(steward: Any, app: ConsumerApp) -> None:
    response = client_for(steward).post("/exchange/apps/", {"name": "居住证办理系统", "purpose": "重复"})
    assert response.status_code == 400
    page = html(response)
    assert "已登记名为“居住证办理系统”的应用" in page and 'value="居住证办理系统"' in page
    assert ConsumerApp.objects.count() == 1


def test_bad_choices_are_refused_cleanly(steward: Any, steward_actor: Any, app: ConsumerApp) -> None:
    c = client_for(steward)
    issued = services.key_issue(actor=steward_actor, app_id=app.pk)
    assert c.post(f"/exchange/apps/{app.pk}/keys/", {"expires": "9999999999999"}).status_code == 302
    response = c.post(f"/exchange/keys/{issued.key.pk}/rotate/", {"grace": "abc"})
    assert response.status_code == 400 and "宽限期" in html(response)
    assert AppKey.objects.count() == 1


def test_another_department_gets_404_everywhere(
    steward_actor: Any, app: ConsumerApp, other_dept: Any
) -> None:
    issued = services.key_issue(actor=steward_actor, app_id=app.pk)
    c = client_for(make_user("other_steward", department=other_dept, roles=("steward",)))
    assert f"/exchange/apps/{app.pk}/" not in html(c.get("/exchange/apps/"))
    assert c.get(f"/exchange/apps/{app.pk}/").status_code == 404
    for url, data in (
        (f"/exchange/apps/{app.pk}/keys/", {}),
        (f"/exchange/apps/{app.pk}/disable/", {}),
        (f"/exchange/keys/{issued.key.pk}/rotate/", {"grace": "0"}),
        (f"/exchange/keys/{issued.key.pk}/revoke/", {"reason": "越权"}),
    ):
        assert c.post(url, data).status_code == 404, url
    assert AppKey.objects.count() == 1 and authenticate_key(issued.plaintext) is not None


def test_consumer_and_authority_view_without_managing(
    steward_actor: Any, app: ConsumerApp, dept: Any, authority: Any
) -> None:
    services.key_issue(actor=steward_actor, app_id=app.pk)
    consumer = make_user("consumer_p", department=dept, roles=("consumer",))
    for user in (consumer, authority):
        c = client_for(user)
        listing = html(c.get("/exchange/apps/"))
        assert "居住证办理系统" in listing and 'id="app-register-form"' not in listing
        page = html(c.get(f"/exchange/apps/{app.pk}/"))
        assert (
            "sk_" in page
            and "签发新密钥" not in page
            and ">吊销</button>" not in page
            and "停用应用" not in page
        )
    assert "淄博市公安局" in html(client_for(authority).get("/exchange/apps/"))  # the department column


def test_app_names_are_escaped(steward: Any, steward_actor: Any) -> None:
    app = services.app_register(
        actor=steward_actor, name="<script>alert(1)</script>", purpose="<img src=x onerror=alert(2)>",
        system_name='"><b>系统</b>',
    )  # fmt: skip
    issued = services.key_issue(actor=steward_actor, app_id=app.pk)
    services.key_revoke(actor=steward_actor, app_key_id=issued.key.pk, reason="<i>泄露</i>")
    c = client_for(steward)
    for page in (html(c.get("/exchange/apps/")), html(c.get(f"/exchange/apps/{app.pk}/"))):
        assert (
            "<script>alert(1)</script>" not in page and "<img src=x" not in page and "<b>系统</b>" not in page
        )
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;i&gt;泄露&lt;/i&gt;" in html(c.get(f"/exchange/apps/{app.pk}/"))


# --- the API answers that carry a key --------------------------------------------------------------


def test_api_shows_the_key_once(steward: Any, app: ConsumerApp) -> None:
    c = client_for(steward)
    response = c.post(f"/api/exchange/apps/{app.pk}/keys", {}, content_type="application/json")
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert KEY.fullmatch(body["api_key"]) and "只" in body["notice"]
    assert authenticate_key(body["api_key"]) is not None
    listed = c.get(f"/api/exchange/apps/{app.pk}/keys")
    text = listed.content.decode()
    assert body["key"]["key_id"] in text and body["api_key"].split(".")[1] not in text
    assert "secret" not in text and "api_key" not in text
    rotated = c.post(
        f"/api/exchange/keys/{body['key']['id']}/rotate", {"grace_hours": 2}, content_type="application/json"
    ).json()
    assert (
        rotated["previous"]["status"] == "expiring"
        and rotated["previous"]["replaced_by"] == rotated["key"]["key_id"]
    )
    assert authenticate_key(rotated["api_key"]) is not None and authenticate_key(body["api_key"]) is not None
    assert c.get(f"/api/exchange/apps/{app.pk}").json()["usable_keys"] == 2


def test_api_errors_are_coded(steward: Any, app: ConsumerApp) -> None:
    c = client_for(steward)
    response = c.post("/api/exchange/apps", {"name": ""}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "exchange.app.invalid"
    response = c.post("/api/exchange/keys/1/rotate", {"grace_hours": 100000}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "request.invalid"
    response = c.post(f"/api/exchange/keys/{10**20}/revoke", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert c.get("/api/exchange/apps/999999").json()["code"] == "exchange.app.not_found"
    other = make_department("淄博市民政局")
    app_b = services.app_register(
        actor=actor_of(make_user("sb", department=other, roles=("steward",))), name="b"
    )
    assert (
        c.post(f"/api/exchange/apps/{app_b.pk}/keys", {}, content_type="application/json").status_code == 404
    )
