// A minimal WHEP player (browser-native WebRTC): POST an SDP offer, apply the answer, DELETE to stop.
"use strict";

class WhepPlayer {
  constructor(url, video, iceServers) {
    this.url = url;
    this.video = video;
    this.iceServers = iceServers || [];
    this.location = null;
    this.pc = null;
    this.onstatechange = null;
  }

  async start() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      this.video.srcObject = stream;
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
