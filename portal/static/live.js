/* Public live player: hls.js on the broadcast's delayed multivariant playlist; follows its status.json
   (live / cut / ended) so a cut shows a notice at once. The playlist stays live through a cut, so the
   same player keeps reloading it and plays on by itself after a resume, never replaying what was shown. */
(function () {
  "use strict";
  var box = document.getElementById("live");
  var video = document.getElementById("video");
  var statusLine = document.getElementById("live-status");
  var base = box.getAttribute("data-source"); /* the directory of index.m3u8 (ours, or a CDN) */
  var hls = null;
  var state = null;

  function play() {
    if (hls) { return; }
    var url = base + "index.m3u8";
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls({ liveSyncDurationCount: 3 });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        /* an empty playlist (the delay has not passed yet) or a network blip: try again */
        if (!data.fatal) { return; }
        hls.destroy();
        hls = null;
        window.setTimeout(function () { if (state !== "ended" && !hls) { play(); } }, 2000);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      box.setAttribute("data-engine", "hls.js");
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url; /* Safari plays HLS natively */
      hls = { destroy: function () { video.removeAttribute("src"); video.load(); } };
      box.setAttribute("data-engine", "native");
    }
    video.play().catch(function () {});
  }

  function show(next) {
    if (next === state) { return; }
    state = next;
    box.setAttribute("data-state", state);
    if (state === "live") {
      statusLine.textContent = "直播中（有延时）。";
      play();
      video.play().catch(function () {});
    }
    else if (state === "cut") { statusLine.textContent = "法院已中断公开直播，恢复后将自动继续播放。"; }
    else {
      statusLine.textContent = "直播已结束。";
      if (hls) { hls.destroy(); hls = null; }
    }
  }

  function poll() {
    fetch(base + "status.json", { cache: "no-store" })
      .then(function (response) {
        /* withdrawn after the broadcast closed (or never there): ended, once it had been seen */
        if (response.status === 404 || response.status === 403) {
          return { state: state === null ? null : "ended" };
        }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) {
        if (status.state) { show(status.state); }
        else if (state === null) { statusLine.textContent = "直播即将开始……"; }
      })
      .catch(function () { if (state === null) { statusLine.textContent = "直播即将开始……"; } });
  }

  poll();
  window.setInterval(poll, 3000);
})();
