"""Every page the README lists, as each role reaches it, checked by axe-core (from npm) in Debian's
Chromium against WCAG 2.1 A and AA (contrast included): no serious or critical violation. Also the
keyboard's skip link, the favicon, and the API docs (Swagger UI from npm) working under the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from archive.store.object_store import ObjectStore
from tests.portal.conftest import Template, open_portal, serve_openapi_document
from tests.portal.served import ServedApp
from tests.portal.world import CASE_A, REC_A, STAFF_PASSWORD

pytestmark = pytest.mark.integration

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def site(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: datetime,
    tmp_path_factory: pytest.TempPathFactory,
    openapi_document: dict[str, Any],
) -> Iterator[tuple[str, Template]]:
    """The seeded portal over plain HTTP on loopback, with its API docs served (the session's OpenAPI
    document, checked against this app's routes), for the module: its tests only read pages (a sign-in
    adds a session, which no other test reads)."""
    overrides = {"environment": "development", "portal_cookie_secure": False, "portal_openapi": True}
    data = tmp_path_factory.mktemp("axe-portal")
    with (
        open_portal(sqlite_template, recording_store, session_now, data, **overrides) as portal,
        ServedApp(portal.app) as server,
    ):
        serve_openapi_document(portal.app, openapi_document)
        yield server.url, sqlite_template


@pytest.fixture
def browser(chromium: Any) -> Any:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `make setup` (npm ci)")
    return chromium


def violations(page: Any) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA findings on the page as it is now."""
    page.evaluate(AXE.read_text())  # evaluated through the DevTools protocol, so the CSP allows it
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        WCAG_AA,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in BLOCKING
    ]


def check_pages(page: Any, base: str, paths: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        page.goto(f"{base}{path}")  # loaded: its style sheets, fonts and pictures are in
        if page.query_selector("script") is not None:  # a page its scripts fill in: until they are done
            page.wait_for_load_state("networkidle")
        problems = violations(page)
        if problems:
            found[path] = problems
    return found


def test_public_and_party_pages_pass_axe(site: tuple[str, Template], browser: Any) -> None:
    base, template = site
    world = template.world
    page = browser.new_page(viewport={"width": 412, "height": 915})  # a citizen's phone
    public = ["/notices", f"/notices/{world.notice_a}", "/case-login", "/login", "/notices/999999"]
    found = check_pages(page, base, public)
    page.goto(f"{base}/case-login")
    page.fill("input[name=identifier]", CASE_A)
    page.fill("input[name=password]", world.password_a)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/my-case")
    found |= check_pages(page, base, ["/my-case"])
    assert found == {}


def test_staff_pages_pass_axe(site: tuple[str, Template], browser: Any) -> None:
    base, template = site
    world = template.world
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{base}/login")
    page.fill("input[name=identifier]", "clerk-a")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")
    staff = [
        "/staff",
        "/staff/cases",
        "/staff/cases/new",
        f"/staff/cases/{world.case_a}",
        f"/staff/cases/{world.case_a}/hearings/new",
        f"/staff/parties/{world.party_a}/password",  # the reset's confirmation
        f"/staff/hearings/{world.hearing_a}",
        f"/staff/hearings/{world.hearing_a}/views",
        "/staff/reviews",
        "/staff/compliance",
        "/staff/broadcasts",
        "/staff/recordings",
        f"/staff/recordings/{REC_A}",
    ]
    assert check_pages(page, base, staff) == {}


def test_keyboard_skip_link_reaches_the_content(site: tuple[str, Template], browser: Any) -> None:
    base, _ = site
    page = browser.new_page()
    page.goto(f"{base}/notices")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "跳到正文"]
    assert page.evaluate("() => document.querySelector('.skip-link').getBoundingClientRect().top") >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_favicon_and_api_docs_work_under_the_csp(site: tuple[str, Template], browser: Any) -> None:
    base, _ = site
    page = browser.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    icon = page.goto(f"{base}/favicon.ico")
    assert icon is not None and icon.status == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    page.goto(f"{base}/docs")
    page.wait_for_selector(".opblock", timeout=20000)  # Swagger UI rendered the schema's operations
    assert page.locator(".opblock").count() > 10
    assert [text for text in refused if "Content Security Policy" in text] == []


def test_the_check_finds_what_it_looks_for(browser: Any) -> None:
    """The axe run above is not vacuous: grey on white text and an unlabelled field are caught."""
    page = browser.new_page()
    page.set_content(
        '<html lang="zh-CN"><title>t</title><main><p style="color:#bbb;background:#fff">开庭公告</p>'
        '<input type="text"></main></html>'
    )
    found = " ".join(violations(page))
    assert "color-contrast" in found
    assert "label" in found
