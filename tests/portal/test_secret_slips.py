"""Once-shown slips (access passwords, enrolment codes) live in the database, so any portal process
behind one address can show a slip the other made — once, to the session that made it, within its
lifetime. The database holds no secret in clear, and a tampered row shows nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal.db import transaction
from portal.models import SecretSlip
from portal.web.app import create_app
from tests.portal.conftest import Browser, Portal
from tests.portal.world import CASE_A

pytestmark = pytest.mark.integration


@pytest.fixture
def second_process(portal: Portal) -> Iterator[TestClient]:
    """Another portal app (its own memory) on the same database: a second process behind the address."""
    context = portal.app.state.portal
    app = create_app(context.settings, store=portal.store, clock=portal.clock)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client
    app.state.portal.audit_batch.close()
    app.state.portal.engine.dispose()


def _add_party(clerk: Browser, case_id: int, name: str) -> str:
    added = clerk.http.post(
        f"/staff/cases/{case_id}/parties", data={"csrf_token": clerk.csrf, "name": name, "role": "第三人"}
    )
    assert added.status_code == 303, added.text
    location: str = added.headers["location"]
    return location


def _password(page: str) -> str:
    found = re.search(r'id="access-password">([^<]+)<', page)
    assert found, page
    return found.group(1)


def _rows(portal: Portal) -> list[SecretSlip]:
    with portal.db_factory() as db:
        rows = list(db.scalars(select(SecretSlip)))
        for row in rows:
            db.expunge(row)
    return rows


def test_another_process_shows_the_slip_once_and_the_database_holds_no_password(
    portal: Portal, second_process: TestClient
) -> None:
    clerk = portal.staff("clerk-a")
    slip_url = _add_party(clerk, portal.world.case_a, "多进程公司")
    (row,) = _rows(portal)
    assert slip_url.rsplit("/", 1)[1] not in row.id  # found by a hash of the URL's token only

    second_process.cookies.update(clerk.http.cookies)  # the same browser, answered by the other process
    shown = second_process.get(slip_url)
    assert shown.status_code == 200 and "多进程公司" in shown.text
    password = _password(shown.text)
    assert password.encode() not in row.ciphertext and "多进程公司".encode() not in row.ciphertext
    (tombstone,) = _rows(portal)
    assert tombstone.ciphertext == b"" and tombstone.nonce == b""  # the secret deleted when shown
    again = clerk.get(slip_url)  # this process: shown once already, and says so
    assert again.status_code == 410 and "已经显示过" in again.text and password not in again.text
    portal.clock.advance(timedelta(minutes=11))
    _add_party(clerk, portal.world.case_a, "后来公司")  # keeping a slip drops the expired rows
    assert [row.id for row in _rows(portal)] != [tombstone.id] and len(_rows(portal)) == 1
    assert portal.party(CASE_A, password).get("/api/my-case").status_code == 200


def test_a_slip_expires_and_a_tampered_one_shows_nothing(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    late = _add_party(clerk, portal.world.case_a, "过期公司")
    portal.clock.advance(timedelta(minutes=11))
    assert clerk.get(late).status_code == 404
    tampered = _add_party(clerk, portal.world.case_a, "篡改公司")
    with transaction(portal.db_factory) as db:
        for row in db.scalars(select(SecretSlip)):
            row.ciphertext = bytes([row.ciphertext[0] ^ 1]) + row.ciphertext[1:]
    refused = clerk.get(tampered)
    assert refused.status_code == 404 and "篡改公司" not in refused.text
    forged = clerk.get("/staff/password-slips/" + "A" * 22)
    assert forged.status_code == 404
