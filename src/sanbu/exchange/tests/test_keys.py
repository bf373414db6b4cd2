"""Consumer apps and keys: shown once, stored hashed, authenticated, rotated, revoked, scoped."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanbu.core.actor import SYSTEM, Actor
from sanbu.core.audit import verify_chain
from sanbu.core.errors import Conflict, NotFound, ValidationFailed
from sanbu.core.models import ChangeRecord
from sanbu.core.testing import actor_of, make_department, make_user
from sanbu.exchange import keys, selectors, services
from sanbu.exchange.keys import authenticate_key, parse_key
from sanbu.exchange.models import AppKey, AppStatus, ConsumerApp, KeyStatus

from .support import stored_text

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def app(steward_actor: Actor) -> ConsumerApp:
    return services.app_register(
        actor=steward_actor, name="居住证办理系统", purpose="核验申请人户籍", system_name="居住证管理平台"
    )


@pytest.fixture
def issued(steward_actor: Actor, app: ConsumerApp) -> services.IssuedKey:
    return services.key_issue(actor=steward_actor, app_id=app.pk)


@pytest.fixture
def outsider(other_dept: Any) -> Actor:
    return actor_of(make_user("outsider", department=other_dept, roles=("steward",)))


def secret_of(plaintext: str) -> str:
    return plaintext.split(".", 1)[1]


# --- issue: shown once, stored hashed ---------------------------------------------------------------


def test_issued_key_has_the_public_id_and_a_long_random_secret(issued: services.IssuedKey) -> None:
    key_id, secret = issued.plaintext.split(".", 1)
    assert key_id == issued.key.key_id and key_id.startswith("sk_") and len(key_id) == 11
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64
    assert parse_key(issued.plaintext) == keys.ParsedKey(key_id, secret)


def test_the_database_never_holds_the_secret(steward_actor: Actor, issued: services.IssuedKey) -> None:
    rotated = services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk, grace_hours=1)
    dump = stored_text()
    for plaintext in (issued.plaintext, rotated.plaintext):
        assert secret_of(plaintext) not in dump
        assert plaintext not in dump
    stored = AppKey.objects.get(pk=issued.key.pk)
    assert stored.secret_hash == keys.secret_hash(stored.key_id, secret_of(issued.plaintext))
    assert len(stored.secret_hash) == 64 and secret_of(issued.plaintext) not in stored.secret_hash


def test_two_keys_never_share_a_secret_or_id(steward_actor: Actor, app: ConsumerApp) -> None:
    made = [services.key_issue(actor=steward_actor, app_id=app.pk) for _ in range(20)]
    assert len({m.key.key_id for m in made}) == 20
    assert len({secret_of(m.plaintext) for m in made}) == 20


def test_listing_keys_gives_no_secret(
    steward_actor: Actor, app: ConsumerApp, issued: services.IssuedKey
) -> None:
    listed = selectors.key_list(actor=steward_actor, app_id=app.pk)
    assert [k.key_id for k in listed] == [issued.key.key_id]


def test_audit_records_contain_no_secret(steward_actor: Actor, issued: services.IssuedKey) -> None:
    rotated = services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk, grace_hours=0)
    services.key_revoke(actor=steward_actor, app_key_id=rotated.key.pk, reason="测试吊销")
    records = list(ChangeRecord.objects.filter(action__startswith="exchange.").order_by("seq"))
    assert [r.action for r in records] == [
        "exchange.app.register", "exchange.key.issue", "exchange.key.issue", "exchange.key.rotate",
        "exchange.key.revoke",
    ]  # fmt: skip
    text = json.dumps([[r.object_repr, r.before, r.after] for r in records], ensure_ascii=False)
    for plaintext in (issued.plaintext, rotated.plaintext):
        assert secret_of(plaintext) not in text
    for key in AppKey.objects.all():
        assert key.secret_hash not in text
    assert "secret" not in text
    rotate = records[3]
    assert (
        rotate.after is not None
        and rotate.after["new_key_id"] == rotated.key.key_id
        and rotate.after["grace_hours"] == 0
    )
    assert verify_chain()[1] is None


# --- authenticate -----------------------------------------------------------------------------------


def test_authenticate_accepts_the_issued_key(issued: services.IssuedKey) -> None:
    found = authenticate_key(issued.plaintext)
    assert found is not None and found.pk == issued.key.pk and found.app.name == "居住证办理系统"
    assert authenticate_key(f"  {issued.plaintext}\n") is not None  # as pasted into a header


def test_authenticate_refuses_wrong_secret_or_id(steward_actor: Actor, issued: services.IssuedKey) -> None:
    key_id, secret = issued.plaintext.split(".", 1)
    other = services.key_issue(actor=steward_actor, app_id=issued.key.app_id)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for raw in (
        f"{key_id}.{flipped}",
        f"{other.key.key_id}.{secret}",
        f"sk_00000000.{secret}",
        key_id,
        secret,
    ):
        assert authenticate_key(raw) is None, raw


def test_last_used_is_written_at_most_once_a_minute(
    issued: services.IssuedKey, django_assert_num_queries: Any
) -> None:
    assert issued.key.last_used_at is None
    first = authenticate_key(issued.plaintext)
    assert first is not None and first.last_used_at is not None
    stamp = AppKey.objects.get(pk=issued.key.pk).last_used_at
    with django_assert_num_queries(1):  # the lookup only, no write
        again = authenticate_key(issued.plaintext)
    assert again is not None and AppKey.objects.get(pk=issued.key.pk).last_used_at == stamp
    AppKey.objects.filter(pk=issued.key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    authenticate_key(issued.plaintext)
    assert AppKey.objects.get(pk=issued.key.pk).last_used_at > stamp  # type: ignore[operator]


def test_revocation_takes_effect_at_once(steward_actor: Actor, issued: services.IssuedKey) -> None:
    assert authenticate_key(issued.plaintext) is not None
    revoked = services.key_revoke(actor=steward_actor, app_key_id=issued.key.pk, reason="密钥疑似泄露")
    assert revoked.revoked_reason == "密钥疑似泄露" and revoked.status == KeyStatus.REVOKED
    assert authenticate_key(issued.plaintext) is None


def test_revoke_needs_a_reason_and_happens_once(steward_actor: Actor, issued: services.IssuedKey) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.key_revoke(actor=steward_actor, app_key_id=issued.key.pk, reason="  ")
    assert exc.value.errors[0].field == "reason"
    assert authenticate_key(issued.plaintext) is not None
    services.key_revoke(actor=steward_actor, app_key_id=issued.key.pk, reason="系统下线")
    with pytest.raises(Conflict):
        services.key_revoke(actor=steward_actor, app_key_id=issued.key.pk, reason="再次吊销")


def test_expired_key_fails(steward_actor: Actor, app: ConsumerApp, monkeypatch: pytest.MonkeyPatch) -> None:
    soon = timezone.now() + timedelta(days=30)
    issued = services.key_issue(actor=steward_actor, app_id=app.pk, expires_at=soon)
    assert authenticate_key(issued.plaintext) is not None
    later = soon + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert authenticate_key(issued.plaintext) is None
    assert AppKey.objects.get(pk=issued.key.pk).status == KeyStatus.EXPIRED


def test_expiry_in_the_past_is_refused(steward_actor: Actor, app: ConsumerApp) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.key_issue(actor=steward_actor, app_id=app.pk, expires_at=timezone.now() - timedelta(hours=1))
    assert exc.value.errors[0].field == "expires_at"


# --- rotation ---------------------------------------------------------------------------------------


def test_rotation_without_grace_revokes_the_old_key_at_once(
    steward_actor: Actor, issued: services.IssuedKey
) -> None:
    new = services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk)
    assert authenticate_key(issued.plaintext) is None
    assert authenticate_key(new.plaintext) is not None
    old = AppKey.objects.get(pk=issued.key.pk)
    assert old.revoked_at is not None and old.revoked_reason == "已轮换" and old.replaced_by_id == new.key.pk
    assert new.key.key_id != old.key_id


def test_rotation_with_grace_keeps_both_until_it_ends(
    steward_actor: Actor, issued: services.IssuedKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = timezone.now()
    new = services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk, grace_hours=24)
    end = timezone.now()
    old = AppKey.objects.get(pk=issued.key.pk)
    assert old.revoked_at is None and old.status == KeyStatus.EXPIRING
    assert old.expires_at is not None
    assert start + timedelta(hours=24) <= old.expires_at <= end + timedelta(hours=24)
    assert authenticate_key(issued.plaintext) is not None and authenticate_key(new.plaintext) is not None
    later = old.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert authenticate_key(issued.plaintext) is None
    assert authenticate_key(new.plaintext) is not None


def test_grace_never_extends_an_earlier_expiry(steward_actor: Actor, app: ConsumerApp) -> None:
    soon = timezone.now() + timedelta(hours=2)
    issued = services.key_issue(actor=steward_actor, app_id=app.pk, expires_at=soon)
    services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk, grace_hours=48)
    assert AppKey.objects.get(pk=issued.key.pk).expires_at == soon


def test_only_an_active_key_rotates(steward_actor: Actor, issued: services.IssuedKey) -> None:
    services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk, grace_hours=1)
    with pytest.raises(Conflict) as exc:  # already in its grace period
        services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk)
    assert exc.value.code == "exchange.key.inactive"


@pytest.mark.parametrize("grace", [-1, services.MAX_GRACE_HOURS + 1])
def test_grace_out_of_range_is_a_field_error(
    steward_actor: Actor, issued: services.IssuedKey, grace: int
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk, grace_hours=grace)
    assert exc.value.errors[0].field == "grace_hours"
    assert AppKey.objects.count() == 1 and authenticate_key(issued.plaintext) is not None


# --- apps -------------------------------------------------------------------------------------------


def test_disabled_apps_keys_fail(steward_actor: Actor, app: ConsumerApp, issued: services.IssuedKey) -> None:
    second = services.key_issue(actor=steward_actor, app_id=app.pk)
    disabled = services.app_disable(actor=steward_actor, app_id=app.pk, reason="系统下线")
    assert disabled.status == AppStatus.DISABLED and disabled.disabled_at is not None
    assert authenticate_key(issued.plaintext) is None and authenticate_key(second.plaintext) is None
    with pytest.raises(Conflict):
        services.key_issue(actor=steward_actor, app_id=app.pk)
    with pytest.raises(Conflict):
        services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk)
    with pytest.raises(Conflict):
        services.app_disable(actor=steward_actor, app_id=app.pk)


def test_app_names_are_unique_per_department(steward_actor: Actor, app: ConsumerApp, outsider: Actor) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.app_register(actor=steward_actor, name=" 居住证办理系统 ")
    assert exc.value.errors[0].field == "name" and exc.value.errors[0].code == "duplicate"
    other = services.app_register(actor=outsider, name="居住证办理系统")  # another department may
    assert other.department_id != app.department_id


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("name", "", "required"), ("name", "应" * 65, "too_long"), ("purpose", "a\x00b", "invalid_character"),
     ("system_name", "系" * 101, "too_long")],
)  # fmt: skip
def test_register_checks_its_fields(steward_actor: Actor, field: str, value: str, code: str) -> None:
    data: dict[str, Any] = {"name": "数据核验系统", field: value}
    with pytest.raises(ValidationFailed) as exc:
        services.app_register(actor=steward_actor, **data)
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == (field, code)
    assert not ConsumerApp.objects.exists()


# --- scope ------------------------------------------------------------------------------------------


def test_another_department_can_neither_see_nor_manage(
    app: ConsumerApp, issued: services.IssuedKey, outsider: Actor
) -> None:
    assert not selectors.app_list(actor=outsider).filter(pk=app.pk).exists()
    for read in (
        lambda: selectors.app_get(actor=outsider, app_id=app.pk),
        lambda: selectors.key_list(actor=outsider, app_id=app.pk),
        lambda: selectors.key_get(actor=outsider, app_key_id=issued.key.pk),
    ):
        with pytest.raises(NotFound):
            read()
    before = ChangeRecord.objects.count()
    for write in (
        lambda: services.app_disable(actor=outsider, app_id=app.pk),
        lambda: services.key_issue(actor=outsider, app_id=app.pk),
        lambda: services.key_rotate(actor=outsider, app_key_id=issued.key.pk),
        lambda: services.key_revoke(actor=outsider, app_key_id=issued.key.pk, reason="越权"),
        lambda: services.app_register(actor=outsider, name="冒名应用", department_id=app.department_id),
    ):
        with pytest.raises(NotFound):
            write()
    assert ChangeRecord.objects.count() == before
    assert authenticate_key(issued.plaintext) is not None and AppKey.objects.count() == 1


def test_authority_and_auditor_see_their_jurisdiction_and_manage_nothing(
    app: ConsumerApp, issued: services.IssuedKey, authority_actor: Actor
) -> None:
    bureau = make_department("济南市大数据局", jurisdiction="370100")
    jinan = make_department("济南市公安局", jurisdiction="370100")
    jinan_app = services.app_register(actor=SYSTEM, name="济南应用", department_id=jinan.pk)
    auditor = actor_of(make_user("auditor_x", department=bureau, roles=("auditor",), jurisdiction="370100"))
    assert list(selectors.app_list(actor=authority_actor)) == [app]
    assert list(selectors.app_list(actor=auditor)) == [jinan_app]
    with pytest.raises(NotFound):
        services.key_revoke(actor=authority_actor, app_key_id=issued.key.pk, reason="平台处置")
    with pytest.raises(NotFound):
        services.app_disable(actor=authority_actor, app_id=app.pk)


def test_a_consumer_sees_its_departments_apps_but_cannot_manage(app: ConsumerApp, dept: Any) -> None:
    consumer = actor_of(make_user("consumer_x", department=dept, roles=("consumer",)))
    assert [a.pk for a in selectors.app_list(actor=consumer)] == [app.pk]
    with pytest.raises(NotFound):
        services.key_issue(actor=consumer, app_id=app.pk)


def test_usable_key_count(steward_actor: Actor, app: ConsumerApp, issued: services.IssuedKey) -> None:
    services.key_issue(actor=steward_actor, app_id=app.pk)
    services.key_rotate(actor=steward_actor, app_key_id=issued.key.pk, grace_hours=0)
    assert selectors.app_get(actor=steward_actor, app_id=app.pk).usable_keys == 2  # type: ignore[attr-defined]


# --- key parsing never raises -----------------------------------------------------------------------

FIXED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FIXED
@given(raw=st.text(max_size=300))
def test_arbitrary_text_is_refused(raw: str, issued: services.IssuedKey) -> None:
    assert authenticate_key(raw) is None or raw.strip() == issued.plaintext


@FIXED
@given(raw=st.from_regex(r"sk_[0-9a-f]{8}\.[A-Za-z0-9_-]{32,128}", fullmatch=True))
def test_well_formed_but_unknown_keys_are_refused(raw: str, issued: services.IssuedKey) -> None:
    assert parse_key(raw) is not None
    assert authenticate_key(raw) is None or raw == issued.plaintext


@FIXED
@given(data=st.data())
def test_any_one_character_change_is_refused(data: st.DataObject, issued: services.IssuedKey) -> None:
    plaintext = issued.plaintext
    pos = data.draw(st.integers(0, len(plaintext) - 1))
    char = data.draw(st.characters().filter(lambda c: c != plaintext[pos]))
    assert authenticate_key(plaintext[:pos] + char + plaintext[pos + 1 :]) is None


@pytest.mark.parametrize("raw", [None, 123, b"sk_00000000.x", ["sk"], "", ".", "sk_.", "x" * 10_000])
def test_non_keys_are_refused(raw: Any) -> None:
    assert authenticate_key(raw) is None
