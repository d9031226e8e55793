"""A WebRTC stack we did not write publishes through our WHIP endpoint: Chromium with a fake camera."""

from __future__ import annotations

import pytest

from .browser import FAKE_MEDIA_ARGS, chromium
from .conftest import DEVICE_TOKEN, LiveServer, watch_with_aiortc

pytestmark = pytest.mark.integration

# Plain browser WebRTC: no codec preferences, so the server must pick H.264 from Chromium's offer.
PUBLISH = """
async ([url, token]) => {
  const media = await navigator.mediaDevices.getUserMedia(
    {video: {width: 320, height: 240, frameRate: 15}, audio: true});
  const pc = new RTCPeerConnection({iceServers: []});
  for (const track of media.getTracks()) pc.addTransceiver(track, {direction: "sendonly"});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
    setTimeout(resolve, 2000);
  });
  const response = await fetch(url, {method: "POST", body: pc.localDescription.sdp,
    headers: {"Content-Type": "application/sdp", "Authorization": "Bearer " + token}});
  if (response.status !== 201) throw new Error("WHIP " + response.status + " " + await response.text());
  const answer = await response.text();
  await pc.setRemoteDescription({type: "answer", sdp: answer});
  window.publisher = pc;
  const codec = /a=rtpmap:\\d+ (H264|VP8|VP9|AV1)/.exec(answer);
  return {location: response.headers.get("Location"), codec: codec && codec[1]};
}
"""


async def test_chromium_publishes_over_whip_and_an_aiortc_viewer_gets_its_frames(
    live_server: LiveServer,
) -> None:
    async with chromium(*FAKE_MEDIA_ARGS) as browser:
        page = await browser.new_page()  # type: ignore[attr-defined]
        await page.goto(f"{live_server.url}/static/wall.css")  # any page of the server's origin
        result = await page.evaluate(PUBLISH, [f"{live_server.url}/whip/court-2/browser-cam", DEVICE_TOKEN])
        assert result["codec"] == "H264" and "/whip/sessions/" in result["location"]
        await page.wait_for_function("window.publisher.connectionState === 'connected'", timeout=10_000)
        viewer = await watch_with_aiortc(
            f"{live_server.url}/whep/court-2/browser-cam", seconds=10.0, until_frames=15
        )
        assert viewer.frames >= 15, viewer
        assert viewer.sizes and all(width > 0 for width, _ in viewer.sizes)
        feed = live_server.service.feed("court-2/browser-cam")
        assert feed.packets > 0
