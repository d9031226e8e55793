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
async def chromium(*extra_args: str, base: Sequence[str] = BASE_ARGS) -> AsyncIterator[Any]:
    """A Chromium (playwright ``Browser``) launched with ``base`` and ``extra_args`` on the running
    event loop; the test is skipped without Chromium/Playwright."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=[*base, *extra_args])
        try:
            yield browser
        finally:
            await browser.close()
