"""Headless Chromium from Debian (/usr/bin/chromium) driven by Playwright; skips when it is missing."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
BASE_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebRTC on loopback only: offer 127.0.0.1 and real addresses instead of mDNS names
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
FAKE_MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@contextlib.asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[object]:
    """A launched Chromium (playwright ``Browser``); the test is skipped without Chromium/Playwright."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=[*BASE_ARGS, *extra_args])
        try:
            yield browser
        finally:
            await browser.close()


class ModuleBrowsers:
    """Chromiums kept for one test module, launched on first use, one per set of extra arguments (a
    launch and its Playwright driver cost seconds). Tests take pages in contexts of their own
    (``new_page`` or ``new_context``); the ``browsers`` fixture closes every context a test leaves open.

    Start one with ``async with module_chromiums() as browsers``: it skips without Chromium/Playwright."""

    def __init__(self, playwright: Any) -> None:
        self._playwright = playwright
        self._launched: dict[tuple[str, ...], Any] = {}

    async def get(self, *extra_args: str, base: Sequence[str] = BASE_ARGS) -> Any:
        """The module's Chromium launched with ``base`` and ``extra_args`` (launched now if new)."""
        args = (*base, *extra_args)
        if args not in self._launched:
            self._launched[args] = await self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=list(args)
            )
        return self._launched[args]

    async def close_contexts(self) -> None:
        for browser in self._launched.values():
            for context in list(browser.contexts):
                await context.close()

    async def close(self) -> None:
        for browser in self._launched.values():
            await browser.close()


@contextlib.asynccontextmanager
async def module_chromiums() -> AsyncIterator[ModuleBrowsers]:
    """A pool of Chromiums (see ModuleBrowsers), all closed on leaving; skips without Chromium."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browsers = ModuleBrowsers(playwright)
        try:
            yield browsers
        finally:
            await browsers.close()
