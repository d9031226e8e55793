"""The wall as an operator meets it, in Chromium with its default flags (headless, and no sandbox as
root): it plays on the server's own machine and over the LAN address with the ICE set-up ``make run``
uses, speaks Chinese with Beijing time, and a frozen publisher (SIGSTOP) turns its tile to
"信号中断 N 秒" within 4 s, never "录制中" while stale, and back by itself after SIGCONT.

The module's tests share one server (on an event loop of its own, in a thread) and one publisher
process (each starts in seconds); each test runs on its own event loop with a Chromium of its own (a
module-shared loop once made the first wall test time out in CI, and left pytest-asyncio's SIGINT
handler in the worker). The frozen-publisher test runs last and resumes the publisher (SIGCONT)
whatever happens."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aioice.ice
import pytest

from .browser import chromium
from .conftest import DEVICE_TOKEN, OPERATOR_TOKEN, REPO, LiveServer, loopback_settings
from .threaded_server import serve_in_thread

pytestmark = pytest.mark.integration

STOCK_ARGS = ["--headless", "--no-sandbox"]  # --no-sandbox only because tests run as root
TILE = 'figure[data-feed-id="bodycam-7/cam"]'
ARTIFACTS = REPO / "test-artifacts"
RECORDING = f"document.querySelector('{TILE} .label').textContent.includes('录制中')"


def _lan_address() -> str | None:
    """A non-loopback IPv4 address of this machine (what another machine on the LAN would use)."""
    addresses = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)  # outside our hook: all
    return next((a for a in addresses if not a.startswith("127.")), None)


@contextlib.contextmanager
def _make_run_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The live server with ``make run``'s ICE set-up (every interface plus loopback, every candidate
    kept), listening on loopback and on the LAN address, on an event loop of its own."""
    settings = loopback_settings(
        tmp_path, ice_host_addresses=[], ice_allowed_networks=[], ice_gather_loopback=True
    )
    lan = _lan_address()
    with serve_in_thread(settings, also_on=(lan,) if lan else ()) as server:
        yield server


@contextlib.contextmanager
def _publisher_process(server: LiveServer) -> Iterator[subprocess.Popen[str]]:
    command = [
        sys.executable,
        "-m",
        "tests.streaming.publisher_process",
        f"{server.url}/whip/bodycam-7/cam",
        DEVICE_TOKEN,
        "cam",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "publishing"
        yield process
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def run_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with _make_run_server(tmp_path_factory.mktemp("wall-operator")) as server:
        yield server


@pytest.fixture(scope="module")
def publisher(run_server: LiveServer) -> Iterator[subprocess.Popen[str]]:
    """The module's publisher process (resumed with SIGCONT after every test, in case it froze it)."""
    with _publisher_process(run_server) as process:
        yield process


@pytest.fixture
def running_publisher(publisher: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    assert publisher.poll() is None, "the module's publisher process has ended"
    try:
        yield publisher
    finally:
        publisher.send_signal(signal.SIGCONT)


def _stock_chromium() -> contextlib.AbstractAsyncContextManager[Any]:
    """A Chromium of the test's own, with only the flags a stock launch as root needs."""
    return chromium(base=STOCK_ARGS)


async def _wall(browser: Any, url: str) -> Any:
    context = await browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        viewport={"width": 1280, "height": 720},
    )
    page = await context.new_page()
    await page.goto(f"{url}/wall")
    await page.wait_for_selector(f"{TILE} video", timeout=15_000)
    await page.wait_for_function(f"document.querySelector('{TILE} video').currentTime > 1", timeout=20_000)
    return page


async def test_stock_chromium_plays_the_wall_here_and_over_the_lan(
    run_server: LiveServer, running_publisher: subprocess.Popen[str]
) -> None:
    lan = _lan_address()
    server = run_server
    urls = [server.url] + ([server.url_on(lan)] if lan else [])
    async with _stock_chromium() as browser:
        for url in urls:
            page = await _wall(browser, url)
            assert await page.get_attribute("html", "lang") == "zh-CN"
            await page.wait_for_function(
                f"document.querySelector('{TILE} .label').textContent.includes('录制中')"
            )
            label = await page.text_content(f"{TILE} .label")
            assert "执法记录仪 bodycam-7" in label and "案号 （2026）沪0101民初123号" in label
            clock = await page.text_content("#clock")
            assert clock is not None and clock.startswith("北京时间 20")
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "wall-stock-chromium.png"))
            await page.context.close()
    if lan is None:
        pytest.skip("no LAN address on this machine: played on loopback only")


async def _outage(page: Any) -> str:
    return str(await page.get_attribute(TILE, "data-outage"))


async def test_a_frozen_publisher_shows_signal_lost_within_4_s_and_recovers(
    run_server: LiveServer, running_publisher: subprocess.Popen[str]
) -> None:
    server, publisher = run_server, running_publisher
    async with _stock_chromium() as browser:
        page = await _wall(browser, server.url)
        await page.wait_for_function(RECORDING)
        assert await _outage(page) == ""

        publisher.send_signal(signal.SIGSTOP)
        frozen = time.monotonic()
        await page.wait_for_function(
            f"document.querySelector('{TILE}').dataset.outage === 'stale'", timeout=6_000, polling=100
        )
        assert time.monotonic() - frozen <= 4.0
        await page.wait_for_function(  # the count goes on: "信号中断 5 秒"
            f"/信号中断 [5-9] 秒/.test(document.querySelector('{TILE} .outage').textContent)",
            timeout=6_000,
        )
        label = await page.text_content(f"{TILE} .label")
        assert "信号中断" in label and "录制中" not in label
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "wall-signal-lost.png"))

        publisher.send_signal(signal.SIGCONT)
        await page.wait_for_function(
            f"document.querySelector('{TILE}').dataset.outage === ''", timeout=15_000, polling=100
        )
        await page.wait_for_function(RECORDING)
        assert await page.text_content(f"{TILE} .outage") == ""
