// A minimal WHEP player (browser-native WebRTC): POST an SDP offer, apply the answer, DELETE to stop.
"use strict";

class WhepPlayer {
  // media: the <video> or <audio> element to play into; kinds: what to receive ("video", "audio")
  constructor(url, media, iceServers, kinds) {
    this.url = url;
    this.media = media;
    this.iceServers = iceServers || [];
    this.kinds = kinds && kinds.length ? kinds : ["video", "audio"];
    this.location = null;
    this.pc = null;
    this.onstatechange = null;
    this.ontrack = null; // called with each received MediaStreamTrack
  }

  async start() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    for (const kind of this.kinds) pc.addTransceiver(kind, { direction: "recvonly" });
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      this.media.srcObject = stream;
      if (this.ontrack) this.ontrack(event.track);
    };
    pc.onconnectionstatechange = () => this.onstatechange && this.onstatechange(pc.connectionState);
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc, 2000); // the server does not take trickled candidates
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "Content-Type": "application/sdp" },
      body: pc.localDescription.sdp,
      credentials: "same-origin",
    });
    if (response.status !== 201) throw new Error(`WHEP ${response.status}: ${await response.text()}`);
    this.location = new URL(response.headers.get("Location"), new URL(this.url, location.href)).href;
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  }

  // The received audio's level, 0..1, or null when there is none. From WebRTC statistics, which
  // Chromium computes only for audio being played unmuted (see audio_level.js for muted tiles).
  async audioLevel() {
    if (!this.pc) return null;
    let level = null;
    (await this.pc.getStats()).forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "audio" && typeof report.audioLevel === "number") {
        level = Math.max(level || 0, report.audioLevel);
      }
    });
    return level;
  }

  async stop() {
    if (this.pc) this.pc.close();
    this.pc = null;
    if (this.location) {
      const url = this.location;
      this.location = null;
      try { await fetch(url, { method: "DELETE", credentials: "same-origin" }); } catch (e) { /* server gone */ }
    }
  }
}

function gatheringComplete(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, timeoutMs);
  });
}
