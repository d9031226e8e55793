"""403/404/405/500 answered as Chinese HTML pages to browsers, and as JSON on the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive.store.object_store import ObjectStore
from tests.portal.conftest import Portal, Template, open_portal
from tests.portal.world import CASE_A

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def sqlite_portal(
    sqlite_template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Portal]:
    with open_portal(sqlite_template, recording_store, session_now, tmp_path) as made:
        yield made


def _chinese_page(response: object, status: int, title: str) -> str:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    text: str = response.text  # type: ignore[attr-defined]
    assert '<html lang="zh-CN">' in text and f"<h1>{title}</h1>" in text and f"错误代码 {status}" in text
    assert "Not Found" not in text and "Internal Server Error" not in text
    return text


def test_an_unknown_page_is_a_chinese_404_for_browsers_and_json_on_the_api(sqlite_portal: Portal) -> None:
    client = sqlite_portal.client()
    _chinese_page(client.get("/no-such-page", headers=HTML), 404, "未找到")
    assert client.get("/api/no-such-thing", headers=HTML).json() == {"detail": "Not Found"}
    assert client.get("/no-such-page", headers={"Accept": "application/json"}).json() == {
        "detail": "Not Found"
    }


def test_the_404_page_shows_a_signed_in_visitor_as_signed_in(sqlite_portal: Portal) -> None:
    anonymous = _chinese_page(sqlite_portal.client().get("/no-such-page", headers=HTML), 404, "未找到")
    assert 'action="/logout"' not in anonymous
    clerk = sqlite_portal.staff("clerk-a")
    text = _chinese_page(clerk.get("/no-such-page", headers=HTML), 404, "未找到")
    assert 'href="/staff">工作台</a>' in text and 'action="/logout"' in text  # not "signed out"
    party = sqlite_portal.party(CASE_A, sqlite_portal.world.password_a)
    text = _chinese_page(party.get("/staff/no-such-page", headers=HTML), 404, "未找到")
    assert 'href="/my-case">我的案件</a>' in text and 'action="/logout"' in text


def test_a_wrong_method_is_a_chinese_405(sqlite_portal: Portal) -> None:
    client = sqlite_portal.client()
    _chinese_page(client.put("/notices", headers=HTML), 405, "不支持该操作")


def test_a_refused_page_is_a_chinese_403(sqlite_portal: Portal) -> None:
    operator = sqlite_portal.staff("operator-a")
    text = _chinese_page(operator.get("/staff/cases/new", headers=HTML), 403, "无权访问")
    assert "返回工作台" in text


def test_an_unexpected_error_is_a_chinese_500_page_without_details(sqlite_portal: Portal) -> None:
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    sqlite_portal.app.add_api_route("/boom-page", boom)
    sqlite_portal.app.add_api_route("/api/boom", boom)
    with TestClient(sqlite_portal.app, raise_server_exceptions=False) as client:
        text = _chinese_page(client.get("/boom-page", headers=HTML), 500, "服务器内部错误")
        assert "secret internal detail" not in text
        api = client.get("/api/boom", headers=HTML)
        assert api.status_code == 500 and api.json() == {"detail": "internal server error"}
