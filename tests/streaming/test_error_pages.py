"""The live server answers browsers with Chinese error pages and machines (API, WHIP/WHEP) with JSON."""

from __future__ import annotations

from pathlib import Path

import httpx

from streaming.server.service import LiveService
from streaming.server.web.app import create_app

from .conftest import OPERATOR_TOKEN, LiveServer, loopback_settings

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def _chinese_page(response: httpx.Response, status: int, title: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in response.text and f"<h1>{title}</h1>" in response.text
    assert f"错误代码 {status}" in response.text


async def test_browsers_get_chinese_pages_machines_get_json(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        _chinese_page(await client.get("/no-such-page", headers=HTML), 404, "未找到")
        _chinese_page(await client.put("/wall", headers=HTML), 405, "不支持该操作")
        assert (await client.get("/api/no-such-thing", headers=HTML)).json()["reason"] == "Not Found"
        assert (await client.get("/no-such-page")).json()["reason"] == "Not Found"
        feeds = await client.get("/api/feeds", headers=HTML)  # the API stays JSON for every caller
        assert feeds.status_code == 401 and "detail" in feeds.json()
        watch = await client.post(
            "/whep/court-1/none",
            content="v=0\r\n",
            headers={**HTML, **OPERATOR, "Content-Type": "application/sdp"},
        )
        assert watch.status_code in (400, 404) and "detail" in watch.json()


async def test_an_unexpected_error_is_a_chinese_500_page_without_details(tmp_path: Path) -> None:
    app = create_app(LiveService(loopback_settings(tmp_path)))

    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://live") as client:
        page = await client.get("/boom", headers=HTML)
        _chinese_page(page, 500, "服务器内部错误")
        assert "secret internal detail" not in page.text
        api = await client.get("/api/boom", headers=HTML)
        assert api.status_code == 500 and "secret" not in api.text
