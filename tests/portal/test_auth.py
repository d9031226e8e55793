"""Sign-in, sessions, throttling, CSRF and security headers."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from portal.db import transaction
from portal.identity.accounts import disable_user
from portal.identity.signin import GENERIC_FAILURE
from portal.models import AuditRecord
from tests.portal.conftest import Portal
from tests.portal.world import CASE_A, CASE_B, STAFF_PASSWORD

SESSION = "__Host-session"


def _form_token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _form_login(client: TestClient, path: str, identifier: str, password: str) -> object:
    token = _form_token(client, path)
    return client.post(path, data={"identifier": identifier, "password": password, "csrf_token": token})


def test_form_sign_in_sets_a_hardened_cookie_and_rotates_it(portal: Portal) -> None:
    client = portal.client()
    client.cookies.set(SESSION, "planted-by-an-attacker", domain="testserver.local")
    response = _form_login(client, "/case-login", CASE_A, portal.world.password_a)
    assert response.status_code == 303 and response.headers["location"] == "/my-case"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION}="))
    attributes = cookie.lower()
    assert "httponly" in attributes and "secure" in attributes and "samesite=strict" in attributes
    assert "path=/" in attributes and "domain" not in attributes
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43 and token != "planted-by-an-attacker"
    assert client.get("/my-case").status_code == 200
    again = _form_login(client, "/case-login", CASE_A, portal.world.password_a)
    new_token = next(c for c in again.headers.get_list("set-cookie") if c.startswith(f"{SESSION}=")).split(
        ";"
    )[0]
    assert new_token.split("=", 1)[1] != token
    stale = portal.client()
    stale.cookies.set(SESSION, token)
    assert stale.get("/api/session").status_code == 401  # the pre-rotation token is dead


def test_sign_in_form_without_csrf_token_is_refused(portal: Portal) -> None:
    client = portal.client()
    client.get("/login")
    response = client.post(
        "/login", data={"identifier": "clerk-a", "password": STAFF_PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "登录页面已过期" in response.text and 'name="password"' in response.text  # the form again
    foreign = portal.client()  # a token from another browser does not fit this browser's nonce
    token = _form_token(client, "/login")
    response = foreign.post(
        "/login", data={"identifier": "clerk-a", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403


def _fail_patiently(portal: Portal, client: TestClient, identifier: str, times: int) -> list[str]:
    """Fail ``times`` sign-ins, waiting out each progressive delay; returns the answers' messages."""
    messages = []
    for _ in range(times):
        response = client.post("/api/session/staff", json={"identifier": identifier, "password": "wrong pw"})
        assert response.status_code == 401
        messages.append(response.json()["detail"])
        if "秒后再试" in messages[-1]:
            portal.clock.advance(timedelta(seconds=int(messages[-1].split("请在 ")[1].split(" 秒")[0])))
    return messages


def test_five_failures_lock_the_address_out_of_the_account_for_ten_minutes(portal: Portal) -> None:
    attacker = portal.client(address="203.0.113.66")
    messages = _fail_patiently(portal, attacker, "clerk-a", 5)
    assert messages[0].startswith(GENERIC_FAILURE) and "还可尝试 4 次" in messages[0]
    assert "请在 10 分钟后再试" in messages[-1]
    locked = attacker.post("/api/session/staff", json={"identifier": "clerk-a", "password": STAFF_PASSWORD})
    assert locked.status_code == 401 and "分钟后再试" in locked.json()["detail"]
    owner = portal.client(address="198.51.100.7")  # the clerk's own address is not held back
    assert (
        owner.post(
            "/api/session/staff", json={"identifier": "clerk-a", "password": STAFF_PASSWORD}
        ).status_code
        == 200
    )
    portal.clock.advance(timedelta(minutes=9, seconds=59))
    assert (
        attacker.post(
            "/api/session/staff", json={"identifier": "clerk-a", "password": STAFF_PASSWORD}
        ).status_code
        == 401
    )
    portal.clock.advance(timedelta(seconds=2))
    assert (
        attacker.post(
            "/api/session/staff", json={"identifier": "clerk-a", "password": STAFF_PASSWORD}
        ).status_code
        == 200
    )
    unknown = _fail_patiently(portal, portal.client(address="203.0.113.67"), "nobody-here", 5)
    assert messages == unknown  # the same answers whether or not the account exists


def test_party_sign_in_is_throttled_per_case_number_and_address(portal: Portal) -> None:
    client = portal.client()
    for attempt in range(5):
        response = _form_login(client, "/case-login", CASE_A, "not-the-password")
        assert response.status_code == 401
        assert GENERIC_FAILURE in response.text
        if attempt >= 2:  # progressive delays before the lock
            portal.clock.advance(timedelta(seconds=2 ** (attempt + 1)))
    response = _form_login(client, "/case-login", CASE_A, portal.world.password_a)
    assert response.status_code == 401  # locked even with the right password
    assert "分钟后再试" in response.text
    other = portal.party(CASE_B, portal.world.password_b)  # other cases are not affected
    assert other.get("/api/my-case").status_code == 200
    with portal.db_factory() as db:
        failures = db.scalars(select(AuditRecord).where(AuditRecord.action == "sign_in_failed")).all()
    assert len(failures) == 6 and {f.outcome for f in failures} == {"denied"}
    assert "throttled: pair_lock" in max(failures, key=lambda f: f.seq).detail


def test_unknown_case_number_and_wrong_password_look_the_same(portal: Portal) -> None:
    wrong = portal.client().post("/api/session/party", json={"identifier": CASE_A, "password": "nope-nope"})
    unknown = portal.client().post(
        "/api/session/party", json={"identifier": "（2099）京9999民初9号", "password": "nope-nope"}
    )
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())


def test_address_throttling_stops_password_spraying(portal: Portal) -> None:
    client = portal.client()
    for number in range(20):
        client.post("/api/session/staff", json={"identifier": f"user-{number}", "password": "Spring2026!"})
    response = client.post("/api/session/staff", json={"identifier": "clerk-a", "password": STAFF_PASSWORD})
    assert response.status_code == 401  # the address is locked for ten minutes
    assert "网络地址" in response.json()["detail"]


def test_idle_timeout(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    portal.clock.advance(timedelta(minutes=29))
    assert party.get("/api/my-case").status_code == 200
    portal.clock.advance(timedelta(minutes=30, seconds=1))
    assert party.get("/api/my-case").status_code == 401


def test_absolute_timeout(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    for _ in range(23):  # active every 20 minutes for 7 h 40 min
        portal.clock.advance(timedelta(minutes=20))
        assert clerk.get("/api/hearings").status_code == 200
    portal.clock.advance(timedelta(minutes=20))
    assert clerk.get("/api/hearings").status_code == 401


def test_sign_out_kills_the_session(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    token = party.http.cookies.get(SESSION)
    assert party.http.delete("/api/session").status_code == 403  # needs the CSRF header
    assert party.http.delete("/api/session", headers={"X-CSRF-Token": party.csrf}).status_code == 204
    replay = portal.client()
    replay.cookies.set(SESSION, str(token))
    assert replay.get("/api/my-case").status_code == 401


def test_form_sign_out(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    response = party.http.post("/logout", data={"csrf_token": party.csrf})
    assert response.status_code == 303
    assert party.get("/api/my-case").status_code == 401


def test_rotating_a_party_password_ends_its_sessions(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    clerk = portal.staff("clerk-a")
    assert portal.staff("clerk-b").post(f"/api/parties/{portal.world.party_a}/password").status_code == 404
    assert portal.staff("judge-a").post(f"/api/parties/{portal.world.party_a}/password").status_code == 403
    response = clerk.post(f"/api/parties/{portal.world.party_a}/password")
    assert response.status_code == 200
    new_password = response.json()["access_password"]
    assert party.get("/api/my-case").status_code == 401
    old = portal.client().post(
        "/api/session/party", json={"identifier": CASE_A, "password": portal.world.password_a}
    )
    assert old.status_code == 401
    assert portal.party(CASE_A, new_password).get("/api/my-case").json()["number"] == CASE_A


def test_disabling_a_user_kills_its_sessions(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    with transaction(portal.db_factory) as db:
        disable_user(db, portal.world.users["clerk-a"])
    assert clerk.get("/api/hearings").status_code == 401


def test_security_headers(portal: Portal) -> None:
    response = portal.client().get("/notices")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "max-age=31536000" in response.headers["strict-transport-security"]
    party = portal.party(CASE_A, portal.world.password_a)
    assert party.get("/my-case").headers["cache-control"] == "no-store"
    assert party.get("/api/my-case").headers["cache-control"] == "no-store"


def test_deny_by_default(portal: Portal) -> None:
    anon = portal.client()
    for path in ["/api/my-case", "/api/hearings", "/api/recordings", "/api/compliance", "/api/reviews"]:
        assert anon.get(path).status_code == 401, path
    assert anon.get("/my-case").status_code == 303
    assert anon.get("/staff").headers["location"] == "/login"
    party = portal.party(CASE_A, portal.world.password_a)
    for path in [
        "/api/hearings",
        "/api/recordings",
        "/api/compliance",
        "/api/reviews",
        "/staff",
        f"/api/cases/{portal.world.case_a}",
    ]:
        assert party.get(path).status_code == 403, path
    operator = portal.staff("operator-a")
    assert operator.post("/api/cases", {}).status_code in (403, 422)
    assert operator.get("/api/my-case").status_code == 403


def test_json_sign_in_needs_a_json_content_type(portal: Portal) -> None:
    """A cross-site form (text/plain) cannot sign a victim in: the JSON body is not parsed."""
    body = f'{{"identifier": "{CASE_A}", "password": "{portal.world.password_a}"}}'
    response = portal.client().post(
        "/api/session/party", content=body, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    assert "set-cookie" not in response.headers


CASE_A_SPELLINGS = [
    "(2026)京0101民初1号",  # half-width brackets
    " （2026） 京0101 民初1号 ",  # stray spaces
    "（2026）\u3000京0101民初1号",  # an ideographic space
    "(\uff12\uff10\uff12\uff16)京0101民初\uff11号",  # full-width digits
]


def test_half_width_and_spaced_case_numbers_sign_in(portal: Portal) -> None:
    for spelling in CASE_A_SPELLINGS:
        response = _form_login(portal.client(), "/case-login", spelling, portal.world.password_a)
        assert response.status_code == 303 and response.headers["location"] == "/my-case", spelling
        api = portal.client().post(
            "/api/session/party", json={"identifier": spelling, "password": portal.world.password_a}
        )
        assert api.status_code == 200, spelling


def test_spellings_of_one_case_number_share_one_throttle(portal: Portal) -> None:
    client = portal.client()
    for attempt, spelling in enumerate([*CASE_A_SPELLINGS, CASE_A]):
        response = _form_login(client, "/case-login", spelling, "not-the-password")
        assert response.status_code == 401
        if attempt >= 2:
            portal.clock.advance(timedelta(seconds=2 ** (attempt + 1)))
    locked = _form_login(client, "/case-login", "(2026)京0101民初1号", portal.world.password_a)
    assert locked.status_code == 401 and "分钟后再试" in locked.text


def test_a_refused_sign_in_keeps_what_was_typed_and_counts_down(portal: Portal) -> None:
    typed = "(2026)京0101民初1号"
    response = _form_login(portal.client(), "/case-login", typed, "not-the-password")
    assert response.status_code == 401
    assert f'value="{typed}"' in response.text
    assert "还可尝试 4 次" in response.text
