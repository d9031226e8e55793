"""A WHEP player on another origin, in a real headless Chromium: a page served by a second local HTTP
server (another port, so another origin) POSTs its offer to the live server with a bearer token.
From an allowed origin it reads the answer and ``Location`` and plays the feed; from an origin that
is not allowed the browser's preflight is refused and the page never gets to send its offer."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from streaming.publisher.live_input import LiveInput
from streaming.publisher.live_publisher import LivePublisher
from streaming.publisher.whip_client import WhipClient

from .browser import chromium
from .conftest import DEVICE_TOKEN, LOOPBACK, OPERATOR_TOKEN, EncodedTestFeed, loopback_settings, serve

pytestmark = pytest.mark.integration

PLAYER_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>third-party WHEP player</title>
<video autoplay muted playsinline></video>
<script>
// A player written by someone else: plain fetch, bearer token, no cookies.
async function playWhep(url, token) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  const video = document.querySelector("video");
  pc.ontrack = (event) => { video.srcObject = new MediaStream([event.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
    setTimeout(resolve, 2000);
  });
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Authorization": "Bearer " + token, "Content-Type": "application/sdp" },
      body: pc.localDescription.sdp,
    });
  } catch (error) {
    return { error: String(error) };
  }
  const answer = await response.text();
  if (response.status === 201) await pc.setRemoteDescription({ type: "answer", sdp: answer });
  return { status: response.status, location: response.headers.get("Location") };
}
</script>
"""


@contextlib.contextmanager
def page_server(directory: Path) -> Iterator[int]:
    """A plain static HTTP server for ``directory`` on a free loopback port (the other origin)."""

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, name="page-server", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_a_player_on_an_allowed_origin_plays_and_another_is_blocked(
    tmp_path: Path, test_feed: EncodedTestFeed, caplog: pytest.LogCaptureFixture
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "player.html").write_text(PLAYER_PAGE)
    caplog.set_level(logging.INFO, logger="streaming.server.web.cors")
    with page_server(site) as page_port:
        allowed = f"http://127.0.0.1:{page_port}"
        refused = f"http://localhost:{page_port}"  # same server, but another origin for the browser
        async with serve(loopback_settings(tmp_path, cors_origins=[allowed])) as server:
            publisher = LivePublisher(
                "cam",
                WhipClient(f"{server.url}/whip/court-1/cam", DEVICE_TOKEN),
                LOOPBACK,
                LiveInput(
                    video=test_feed.tap.subscribe(60), audio=None, request_keyframe=test_feed.request_keyframe
                ),
            )
            publisher.start()
            try:
                async with chromium() as browser:
                    page = await browser.new_page()  # type: ignore[attr-defined]
                    await page.goto(f"{allowed}/player.html")
                    result = await page.evaluate(
                        "([url, token]) => playWhep(url, token)",
                        [f"{server.url}/whep/court-1/cam", OPERATOR_TOKEN],
                    )
                    assert result["status"] == 201, result
                    assert result["location"].startswith(f"{server.url}/whep/sessions/")  # exposed header
                    await page.wait_for_function(
                        "document.querySelector('video').currentTime > 0.5", timeout=15_000
                    )
                    size = await page.evaluate(
                        "(video => [video.videoWidth, video.videoHeight])(document.querySelector('video'))"
                    )
                    assert size == [320, 240]

                    other = await browser.new_page()  # type: ignore[attr-defined]
                    await other.goto(f"{refused}/player.html")
                    blocked = await other.evaluate(
                        "([url, token]) => playWhep(url, token)",
                        [f"{server.url}/whep/court-1/cam", OPERATOR_TOKEN],
                    )
                    assert blocked == {"error": "TypeError: Failed to fetch"}
            finally:
                await asyncio.to_thread(publisher.stop)
    refusals = [r.getMessage() for r in caplog.records if r.name == "streaming.server.web.cors"]
    assert refusals and all(f"from {refused}:" in line for line in refusals), refusals
