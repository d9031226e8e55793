// The public player: hls.js (from npm) on the delayed playlist; follows the broadcast's status (live / cut / ended).
"use strict";

const video = document.getElementById("player");
const notice = document.getElementById("notice");
const base = video.dataset.source; // directory of live.m3u8 (our static origin or a CDN)
let hls = null;
let state = null;

function play() {
  if (hls) hls.destroy();
  hls = null;
  const url = base + "live.m3u8";
  if (window.Hls && Hls.isSupported()) {
    hls = new Hls({ liveSyncDurationCount: 3 });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      // an empty playlist (the broadcast delay has not passed yet) or a network blip: try again
      if (!data.fatal) return;
      hls.destroy();
      hls = null;
      setTimeout(() => { if (state === "live" && !hls) play(); }, 2000);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = url; // Safari plays HLS natively
  }
  video.play().catch(() => {});
}

async function poll() {
  try {
    const response = await fetch(base + "status.json", { cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const status = await response.json();
    if (status.state !== state) {
      state = status.state;
      if (state === "live") { notice.textContent = "Live (delayed)."; play(); }
      else if (state === "cut") notice.textContent = "The public broadcast is interrupted by the court.";
      else notice.textContent = "The broadcast has ended.";
    }
  } catch (error) {
    notice.textContent = "The broadcast is not available.";
  }
}

poll();
setInterval(poll, 3000);
