/* Review player: hls.js plays the portal's VOD playlist; a watermark (party, grant, current time)
   stays over the video, also in full screen (the container, not the bare video, goes full screen). */
(function () {
  "use strict";
  var box = document.getElementById("player");
  var video = document.getElementById("video");
  var statusLine = document.getElementById("player-status");
  var clock = document.getElementById("wm-time");
  var mark = document.getElementById("watermark");
  var positions = ["wm-tl", "wm-tr", "wm-bl", "wm-br", "wm-c"];
  var moves = 0;

  var zone = box.getAttribute("data-zone") || undefined;
  var format = new Intl.DateTimeFormat("zh-CN", {
    timeZone: zone, hour12: false, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit"
  });
  function tick() {
    clock.textContent = format.format(new Date()) + (zone === "Asia/Shanghai" ? " 北京时间" : "");
    if (++moves % 20 === 0) {  /* move the mark now and then so it cannot simply be cropped away */
      positions.forEach(function (p) { mark.classList.remove(p); });
      mark.classList.add(positions[Math.floor(Math.random() * positions.length)]);
    }
  }
  tick();
  window.setInterval(tick, 1000);
  box.addEventListener("contextmenu", function (event) { event.preventDefault(); });
  document.getElementById("fullscreen").addEventListener("click", function () {
    if (box.requestFullscreen) { box.requestFullscreen(); }
  });

  var source = box.getAttribute("data-playlist");
  function stopped(text) { statusLine.textContent = text; }
  if (window.Hls && window.Hls.isSupported()) {
    var hls = new window.Hls({ enableWorker: true, lowLatencyMode: false });
    hls.on(window.Hls.Events.ERROR, function (_event, data) {
      if (data.fatal) {
        stopped("播放已停止：查阅许可可能已到期或被撤销，或网络中断。");
        hls.destroy();
      }
    });
    hls.loadSource(source);
    hls.attachMedia(video);
    box.setAttribute("data-engine", "hls.js");
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = source;
    box.setAttribute("data-engine", "native");
  } else {
    stopped("此浏览器不能播放录像，请换用新版浏览器。");
  }
})();

/* The timeline bar (staff player): each run as wide as its share of the recording (set from script:
   the CSP allows no inline style attributes). */
(function () {
  "use strict";
  document.querySelectorAll(".timeline .run[data-percent]").forEach(function (run) {
    run.style.width = run.getAttribute("data-percent") + "%";
  });
})();
