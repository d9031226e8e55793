"""What the staff-page tests share: a form posted with the session's CSRF token, a time as the
page's datetime-local field takes it, the access password a slip shows, a new case's fields."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tests.portal.conftest import Browser, Portal

NEW_CASE = "（2026）京0101民初77号"


def post_form(browser: Browser, url: str, **fields: str) -> Any:
    return browser.http.post(url, data={"csrf_token": browser.csrf, **fields})


def local_input(portal: Portal, moment: datetime) -> str:
    return moment.astimezone(portal.app.state.portal.display_zone).strftime("%Y-%m-%dT%H:%M")


def shown_password(page: str) -> str:
    found = re.search(r'id="access-password">([^<]+)<', page)
    assert found, page
    return found.group(1)


def case_fields(portal: Portal, **overrides: str) -> dict[str, str]:
    users = portal.world.users
    fields = {
        "number": NEW_CASE,
        "name": "甲公司诉乙公司买卖合同纠纷",
        "cause": "买卖合同纠纷",
        "filing_date": "2026-02-01",
        "panel": "审判长 judge-a",
        "judge_id": str(users["judge-a"]),
        "clerk_id": str(users["clerk-a"]),
    }
    return fields | overrides


def party_ids(clerk: Browser, case_url: str) -> list[str]:
    return re.findall(r'data-party="(\d+)"', clerk.get(case_url).text)
