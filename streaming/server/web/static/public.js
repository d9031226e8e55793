// The public player: hls.js (from npm) on the broadcast's multivariant playlist; follows the
// broadcast's status (live / cut / ended). The playlist stays live through a cut, so the same player
// keeps reloading it and plays on by itself after a resume, without replaying what was shown.
"use strict";

const video = document.getElementById("player");
const notice = document.getElementById("notice");
const base = video.dataset.source; // directory of index.m3u8 (our static origin or a CDN)
let hls = null;
let state = null;

function play() {
  if (hls) return;
  const url = base + "index.m3u8";
  if (window.Hls && Hls.isSupported()) {
    hls = new Hls({ liveSyncDurationCount: 3 });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      // no playlist yet (the broadcast delay has not passed) or a network blip: try again
      if (!data.fatal) return;
      hls.destroy();
      hls = null;
      setTimeout(() => { if (state !== "ended" && !hls) play(); }, 2000);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = url; // Safari plays HLS natively
    hls = { destroy() { video.removeAttribute("src"); video.load(); } };
  }
  video.play().catch(() => {});
}

function show(next) {
  if (next === state) return;
  state = next;
  video.dataset.state = state;
  if (state === "live") {
    notice.textContent = "直播中（有延时）。";
    play();
    video.play().catch(() => {});
  } else if (state === "cut") {
    notice.textContent = "法院已暂时中断公开直播，恢复后将自动继续播放。";
  } else {
    notice.textContent = "直播已结束。";
    if (hls) { hls.destroy(); hls = null; }
  }
}

async function poll() {
  try {
    const response = await fetch(base + "status.json", { cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    show((await response.json()).state);
  } catch (error) {
    if (state === null) notice.textContent = "直播暂不可用，正在重试……";
  }
}

poll();
setInterval(poll, 3000);
