"""A crawl of every link each role can reach in the served portal (over HTTP, and in real Chromium for the
pages whose scripts fill them in; see ``crawl_pages``): every page answers
2xx, is ``lang="zh-CN"`` and shows no English sentence (three or more English words in a row in a
visible text node; ids, case codes, URLs and units are not words). A failed sign-in shows the Chinese
form again with 401 (403 when the form's token is stale or foreign), never JSON or a bare refusal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pytest

from archive.store.object_store import ObjectStore
from tests.portal import test_live_browser
from tests.portal.conftest import Template, open_portal
from tests.portal.crawl_pages import read_page
from tests.portal.served import ServedApp
from tests.portal.world import CASE_A, REC_B, STAFF_PASSWORD

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MAX_PAGES = 120
# Not pages for people: APIs, feeds, downloads (CSV), media, the API docs (Swagger UI's own English),
# sign-out.
SKIPPED = re.compile(
    r"^/(api/|static/|docs|openapi\.json|logout|live/)|\.(ics|csv|m3u8|m4s|mp4|svg|ico|js|css)$"
)
_WORD = re.compile(r"^\(?[A-Za-z][A-Za-z']*[),.;:!?]*$")
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!parent || parent.closest('script, style, noscript, template')) continue;
    if (!parent.checkVisibility({visibilityProperty: true})) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const field of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (field.checkVisibility()) out.push(field.placeholder);
  }
  return out;
}"""


def english_runs(texts: list[str]) -> list[str]:
    """Every run of three or more English words in ``texts`` (one string per text node)."""
    found: list[str] = []
    for text in texts:
        run: list[str] = []
        for token in [*text.split(), ""]:
            if token and _WORD.match(token):
                run.append(token)
                continue
            if len(run) >= 3:
                found.append(" ".join(run))
            run = []
    return found


@pytest.fixture(scope="module")
def site(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: datetime,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Template]]:
    """The seeded portal served for the module: the crawls only read; the failed sign-ins add one
    counted failure per account, within the throttle's free failures (the expired form's test then
    signs in as that clerk)."""
    overrides = {"environment": "development", "portal_cookie_secure": False}
    data = tmp_path_factory.mktemp("crawl-portal")
    with (
        open_portal(sqlite_template, recording_store, session_now, data, **overrides) as portal,
        ServedApp(portal.app) as server,
    ):
        yield server.url, sqlite_template


def _sign_in(page: Any, base: str, form: str, identifier: str, password: str) -> None:
    page.goto(f"{base}{form}")
    page.fill("input[name=identifier]", identifier)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, follow_redirects=True, timeout=30)


def _sign_in_over_http(http: httpx.Client, form: str, identifier: str, password: str) -> None:
    """The sign-in form filled in and sent as a browser does (its hidden CSRF field included)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(form).text)
    assert token is not None, f"no CSRF field in {form}"
    fields = {"csrf_token": token[1], "identifier": identifier, "password": password}
    landed = http.post(form, data=fields)
    assert landed.status_code == 200 and landed.url.path != form, (landed.status_code, landed.url)


def _page_with_cookies(browser: Any, http: httpx.Client) -> Any:
    """A new Chromium page holding ``http``'s cookies (the same signed-in visitor)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    base = str(http.base_url).rstrip("/")
    page.context.add_cookies(
        [{"name": c.name, "value": c.value or "", "url": base} for c in http.cookies.jar]
    )
    return page


def crawl(
    browser: Any,
    http: httpx.Client,
    start: list[str],
    skipped: re.Pattern[str] = SKIPPED,
    settle: str = "",
) -> dict[str, list[str]]:
    """Visit every same-site link reachable from ``start`` (but ``skipped``) as ``http``'s visitor;
    returns what is wrong, by path. Pages are read over HTTP; a page with scripts (it fills itself in)
    is read again in Chromium with the same cookies, its text and links as its script leaves them.
    ``settle`` names an element to wait for on such pages (the wall)."""
    queue, seen, wrong = list(start), set(start), {}
    visited = 0
    base = str(http.base_url).rstrip("/")
    while queue and visited < MAX_PAGES:
        path = queue.pop(0)
        visited += 1
        response = http.get(path)
        html = read_page(response.text)
        problems = []
        if not 200 <= response.status_code < 300:
            problems.append(f"HTTP {response.status_code}")
        if html.lang != "zh-CN":
            problems.append("not lang=zh-CN")
        texts, links = html.texts, [urljoin(str(response.url), href) for href in html.links]
        if html.scripted:
            page = _page_with_cookies(browser, http)
            problems += _in_chromium(page, f"{base}{path}", settle)
            texts = page.evaluate(VISIBLE_TEXT)
            links += page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
            page.context.close()
        problems += [f"English: {run!r}" for run in english_runs(texts)]
        if problems:
            wrong[path] = problems
        for href in links:
            url = urlsplit(urldefrag(href)[0])
            if f"{url.scheme}://{url.netloc}" != base:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target not in seen and not skipped.search(url.path):
                seen.add(target)
                queue.append(target)
    assert visited > len(start), f"the crawl from {start} found no links"
    return wrong


def _in_chromium(page: Any, url: str, settle: str) -> list[str]:
    """What is wrong with the page at ``url`` in Chromium once loaded (and settled)."""
    response = page.goto(url)
    page.wait_for_load_state("load")
    if settle and page.query_selector(settle) is not None:
        _settle(page)
    status = response.status if response is not None else 0
    problems = [] if 200 <= status < 300 else [f"HTTP {status} in Chromium"]
    if page.evaluate("() => document.documentElement.lang") != "zh-CN":
        problems.append("not lang=zh-CN in Chromium")
    return problems


def _settle(page: Any) -> None:
    """Wait until the page's script has its first answers: no request for 500 ms (Playwright's network
    idle), or 1.5 s at most when the page keeps fetching (a playing live player polls its playlist)."""
    try:
        page.wait_for_load_state("networkidle", timeout=1500)
    except Exception as exc:  # Playwright's TimeoutError: the page is still fetching, take it as it is
        if "Timeout" not in type(exc).__name__:
            raise


ROLES = {
    "public": (None, ["/", "/notices", "/case-login", "/login"]),
    "party": (("/case-login", CASE_A, None), ["/my-case"]),
    "clerk": (("/login", "clerk-a", STAFF_PASSWORD), ["/staff"]),
    "judge": (("/login", "judge-a", STAFF_PASSWORD), ["/staff"]),
    "operator": (("/login", "operator-a", STAFF_PASSWORD), ["/staff"]),
    "admin": (("/login", "admin", STAFF_PASSWORD), ["/staff"]),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_link_answers_in_chinese(site: tuple[str, Template], chromium: Any, role: str) -> None:
    base, template = site
    sign_in, start = ROLES[role]
    with _client(base) as http:
        if sign_in is not None:
            form, identifier, password = sign_in
            _sign_in_over_http(http, form, identifier, password or template.world.password_a)
        wrong = crawl(chromium, http, start)
    # the test world indexes court B's rec-b1 as archived without putting its objects in the bucket:
    # the administrator's player answers that honestly (404, the Chinese page)
    assert wrong.pop(f"/staff/recordings/{REC_B}", ["HTTP 404"]) == ["HTTP 404"]
    assert wrong == {}


def test_the_check_finds_english_and_lets_codes_pass() -> None:
    assert english_runs(["the form has expired", "Officer Wang (demo)"]) == [
        "the form has expired",
        "Officer Wang (demo)",
    ]
    allowed = [
        "案号 2026-demo-civ-0001",
        "http://127.0.0.1:8000/notices",
        "640x360 15 fps",
        "UTC+08:00",
        "HLS",
    ]
    assert english_runs(allowed) == []


def test_the_html_reader_sees_what_a_person_sees() -> None:
    page = read_page(
        '<html lang="zh-CN"><head><title>Page title here</title></head><body><p>Please sign in now</p>'
        '<div hidden><p>Hidden words stay hidden</p></div><script>var a = "not for people";</script>'
        '<input placeholder="Type your name"><input type="hidden" value="x y z">'
        '<a href="/notices">公告</a><br><p>后面的文字</p></body></html>'
    )
    assert (page.lang, page.links, page.scripted) == ("zh-CN", ["/notices"], True)
    assert page.texts == ["Please sign in now", "Type your name", "公告", "后面的文字"]
    assert english_runs(page.texts) == ["Please sign in now", "Type your name"]
    assert read_page("<html><body><p>文字</p></body></html>").scripted is False


@pytest.mark.parametrize(
    ("form", "fields", "message"),
    [
        ("/login", {"identifier": "clerk-a", "password": "wrong-password"}, "账号或密码错误"),
        ("/login", {"identifier": "clerk-a", "password": ""}, "请填写密码"),
        ("/case-login", {"identifier": CASE_A, "password": "wrong-password"}, "账号或密码错误"),
    ],
)
def test_a_failed_sign_in_shows_the_chinese_form_again(
    site: tuple[str, Template], chromium: Any, form: str, fields: dict[str, str], message: str
) -> None:
    base, _ = site
    page = chromium.new_page()
    page.goto(f"{base}{form}")
    page.fill("input[name=identifier]", fields["identifier"])
    page.fill("input[name=password]", fields["password"])
    page.eval_on_selector("input[name=password]", "field => field.removeAttribute('required')")
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    assert navigation.value.status == 401
    assert "text/html" in navigation.value.headers["content-type"]
    alert = page.inner_text("[role=alert]")
    assert message in alert, alert
    assert page.input_value("input[name=identifier]") == fields["identifier"]  # kept
    assert english_runs(page.evaluate(VISIBLE_TEXT)) == []


def test_an_expired_sign_in_form_is_shown_again_not_a_bare_refusal(
    site: tuple[str, Template], chromium: Any
) -> None:
    base, _ = site
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    context.clear_cookies()  # the form's pre-session cookie expired (an old tab)
    page.fill("input[name=identifier]", "clerk-a")
    page.fill("input[name=password]", STAFF_PASSWORD)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    assert navigation.value.status == 403  # refused, as a forged form is, but with the form again
    assert "登录页面已过期" in page.inner_text("[role=alert]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-login-expired.png"), full_page=True)
    _sign_in(page, base, "/login", "clerk-a", STAFF_PASSWORD)  # the fresh form works
    assert page.url == f"{base}/staff"
    context.close()


# The live pages: the wall (operators) and the public live pages, with a courtroom publishing and its
# public hearing on air. Machine paths of the live app (its API, WHIP/WHEP, HLS files, assets) are
# not pages.
LIVE_SKIPPED = re.compile(
    r"^/(api/|static/|docs|openapi\.json|logout|live/(api|whip|whep|static|public/hls)/)"
    r"|\.(ics|m3u8|m4s|mp4|svg|ico|js|css)$"
)
# (staff pages beyond /staff itself are the role crawl's above)
STAFF_LIVE_SKIPPED = re.compile(f"{LIVE_SKIPPED.pattern}|^/staff/")
served, publisher = test_live_browser.served, test_live_browser.publisher  # the live portal's fixtures


@pytest.fixture(scope="module")
def on_air(served: tuple[ServedApp, Any, Any], publisher: Any, sqlite_template: Template) -> int:
    """The notice of a public hearing on air on the module's live portal (the crawls only read)."""
    _, notice = test_live_browser._public_hearing_on_air(served, sqlite_template.world)
    return notice


@pytest.mark.parametrize("role", ["operator", "admin", "public"])
def test_every_live_page_answers_in_chinese(
    served: tuple[ServedApp, Any, Any], on_air: int, chromium: Any, role: str
) -> None:
    server, notice = served[0], on_air
    if role == "public":
        start, skipped = (
            ["/notices", f"/notices/{notice}/live", "/live/public/room-a/bench-cam"],
            LIVE_SKIPPED,
        )
    else:
        start, skipped = ["/live/wall"], STAFF_LIVE_SKIPPED
    with _client(server.url) as http:
        if role != "public":
            username = f"{role}-a" if role == "operator" else role
            _sign_in_over_http(http, "/login", username, STAFF_PASSWORD)
        wrong = crawl(chromium, http, start, skipped=skipped, settle="figure, #live, main")
        page = _page_with_cookies(chromium, http)
    assert wrong == {}
    if role == "operator":  # the wall itself, filled in by its script: tiles named in Chinese
        page.goto(f"{server.url}/live/wall")
        tile = test_live_browser.TILE
        page.wait_for_function(
            f"() => document.querySelector('{tile} video')?.currentTime > 1", timeout=20_000
        )
        assert english_runs(page.evaluate(VISIBLE_TEXT)) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "crawl-live-wall.png"), full_page=True)
    if role == "public":
        page.goto(f"{server.url}/notices/{notice}/live")
        page.wait_for_function("() => document.getElementById('video').currentTime > 1", timeout=30_000)
        assert english_runs(page.evaluate(VISIBLE_TEXT)) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "crawl-public-live.png"), full_page=True)
