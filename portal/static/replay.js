/* Public replay player: hls.js on the replay's multivariant playlist (the picture with the courtroom's
   sound); Safari plays HLS natively. Segment URLs are portal links that redirect to short-lived ones. */
(function () {
  "use strict";
  var box = document.getElementById("replay");
  var video = document.getElementById("video");
  var statusLine = document.getElementById("replay-status");
  var source = box.getAttribute("data-playlist");

  if (box.classList.contains("audio-only")) { showLevel(); }  /* sound only: a moving level (level.js) */

  function ready() { statusLine.textContent = "可以播放。"; }
  function failed() { statusLine.textContent = "回放暂时无法播放（可能已被撤回），请刷新本页。"; }

  if (window.Hls && window.Hls.isSupported()) {
    var hls = new window.Hls({ enableWorker: true });
    hls.on(window.Hls.Events.MANIFEST_PARSED, ready);
    hls.on(window.Hls.Events.ERROR, function (_event, data) {
      if (data.fatal) { failed(); hls.destroy(); }
    });
    hls.loadSource(source);
    hls.attachMedia(video);
    box.setAttribute("data-engine", "hls.js");
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = source;
    video.addEventListener("loadedmetadata", ready, { once: true });
    video.addEventListener("error", failed);
    box.setAttribute("data-engine", "native");
  } else {
    statusLine.textContent = "您的浏览器不支持播放回放。";
  }
})();
