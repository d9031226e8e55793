"""The live server answers every streaming error through one mapping: clear 4xx, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from streaming.errors import (
    AiortcInternalsError,
    FaceMaskingError,
    FeedNotFoundError,
    FeedTakenError,
    HlsError,
    InvalidNameError,
    SessionNotFoundError,
    SignalingError,
)
from streaming.server.web.http_errors import status_of
from tests.streaming.conftest import OPERATOR_TOKEN, LiveServer, loopback_settings, serve

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
# the refusals below change nothing on the server: they share one, on the module's event loop
ON_THE_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def untouched_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    """A live server with no feed, no session and no broadcast, for requests that are all refused."""
    async with serve(loopback_settings(tmp_path_factory.mktemp("http-errors"))) as server:
        yield server


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidNameError("bad"), 400),
        (SignalingError("no H.264"), 400),
        (FeedNotFoundError("none"), 404),
        (SessionNotFoundError("none"), 404),
        (FeedTakenError("taken"), 409),
        (FaceMaskingError("no cascade"), 409),
        (HlsError("store down"), 503),
        (AiortcInternalsError("hook moved"), 500),
    ],
)
def test_each_error_type_has_one_status(error: Exception, status: int) -> None:
    assert status_of(error) == status  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/public/-bad/cam"),
        ("DELETE", "/api/public/court-1/-cam"),
        ("POST", "/api/public/court-1/ca%20m/cut"),
        ("POST", "/api/public/court.1/ca$m/resume"),
        ("GET", "/public/court%201/cam"),
    ],
)
@pytest.mark.integration
@ON_THE_MODULE_LOOP
async def test_a_bad_name_is_a_400_naming_the_grammar(
    untouched_server: LiveServer, method: str, path: str
) -> None:
    async with httpx.AsyncClient(base_url=untouched_server.url, headers=OPERATOR) as client:
        response = await client.request(method, path)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert "[A-Za-z0-9][A-Za-z0-9._-]" in answer["reason"]  # for court IT: the grammar, in English
    assert answer["code"] == "invalid_name" and answer["detail"].startswith("名称格式不正确")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/public/court-1/cam"),
        ("POST", "/api/public/court-1/cam/cut"),
        ("POST", "/api/public/court-1/cam/resume"),
        ("GET", "/public/court-1/cam"),
        ("GET", "/public/hls/court-1/cam/20000101T000000Z-000000000000/live.m3u8"),
        ("DELETE", "/whep/sessions/no-such-session"),
    ],
)
@pytest.mark.integration
@ON_THE_MODULE_LOOP
async def test_an_unknown_feed_or_session_is_a_404(
    untouched_server: LiveServer, method: str, path: str
) -> None:
    async with httpx.AsyncClient(base_url=untouched_server.url, headers=OPERATOR) as client:
        response = await client.request(method, path)
    assert response.status_code == 404, response.text
    answer = response.json()
    assert answer["reason"] and answer["code"] in ("feed_not_found", "session_not_found", "http_404")
    assert any("\u4e00" <= char <= "\u9fff" for char in answer["detail"])  # Chinese for the page


async def test_the_operator_api_refuses_in_chinese_with_the_reason_for_court_it(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        unsigned = await client.post("/api/public/court-1/cam")
        bad_delay = await client.post("/api/public/court-1/cam?delay=9999", headers=OPERATOR)
        not_sdp = await client.post(
            "/whip/court-1/cam", content="hello", headers={"Content-Type": "application/sdp"}
        )
    assert unsigned.status_code == 401
    assert unsigned.json() == {
        "code": "http_401",
        "detail": "请先登录（值班员登录或设备令牌）",
        "reason": "operator sign-in required",
    }
    assert bad_delay.status_code == 422 and bad_delay.json()["detail"] == "提交的数值超出允许的范围"
    assert bad_delay.json()["reason"] == "delay must be 0..600 seconds"
    assert not_sdp.status_code in (400, 401) and not_sdp.json()["code"].startswith("http_")
    assert any("\u4e00" <= char <= "\u9fff" for char in not_sdp.json()["detail"])


async def test_opening_a_broadcast_answers_its_state(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, headers=OPERATOR) as client:
        opened = await client.post("/api/public/court-1/cam?mask=false&delay=5")
        assert opened.status_code == 200, opened.text
        assert opened.json()["public"]["state"] == "live"
        assert (await client.post("/api/public/court-1/cam?delay=601")).status_code == 422
        assert (await client.delete("/api/public/court-1/cam")).status_code == 200
        assert (await client.delete("/api/public/court-1/cam")).status_code == 404
