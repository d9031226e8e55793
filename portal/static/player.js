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

  /* a camera switch keeps the position, playing or paused, the sound chosen (声音, by its stream: each
     camera lists its own sound first) and the microphones' mute/solo (channels.js): the link carries
     them, the new page seeks there and plays on */
  var carried = new URLSearchParams(window.location.search);
  var soundChoice = document.getElementById("sound");
  if (soundChoice && carried.get("sound")) {
    Array.prototype.forEach.call(soundChoice.options, function (option) {
      if (option.getAttribute("data-stream") === carried.get("sound")) { soundChoice.value = option.value; }
    });
  }
  var resumeAt = parseFloat(carried.get("t") || "");
  if (resumeAt > 0 || carried.get("play") === "1") {
    video.addEventListener("loadedmetadata", function () {
      if (resumeAt > 0) { video.currentTime = resumeAt; }
      if (carried.get("play") === "1") {
        video.play().catch(function () { stopped("已切换画面，请点击播放继续。"); });
      }
    }, { once: true });
  }
  document.querySelectorAll(".streams a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var target = new URL(link.href, window.location.href);
      target.searchParams.set("t", video.currentTime.toFixed(1));
      var channels = document.getElementById("channels");
      var chosen = soundChoice ? soundChoice.options[soundChoice.selectedIndex] : null;
      var state = { play: video.paused ? "" : "1",
        sound: chosen ? chosen.getAttribute("data-stream") : "",
        mute: channels ? channels.getAttribute("data-muted") : "",
        solo: channels ? channels.getAttribute("data-soloed") : "" };
      Object.keys(state).forEach(function (name) {
        if (state[name]) { target.searchParams.set(name, state[name]); } else { target.searchParams.delete(name); }
      });
      window.location.href = target.toString();
    });
  });

  var hls = null;
  if (soundChoice) {  /* several microphones: listen to one at a time (the audio group's renditions) */
    soundChoice.addEventListener("change", function () {
      if (hls) { hls.audioTrack = parseInt(soundChoice.value, 10); }
    });
  }
  /* sound only: a level bar (level.js; channels.js measures it where microphones can be muted one by one) */
  if (box.classList.contains("audio-only") && !document.getElementById("channels")) { showLevel(); }

  showTrace(video);

  if (window.Hls && window.Hls.isSupported()) {
    hls = new window.Hls({ enableWorker: true, lowLatencyMode: false });
    hls.on(window.Hls.Events.ERROR, function (_event, data) {
      if (data.fatal) {
        stopped("播放已停止：查阅许可可能已到期或被撤销，或网络中断。");
        hls.destroy();
      }
    });
    hls.on(window.Hls.Events.AUDIO_TRACKS_UPDATED, function () {
      /* the sound chosen (or carried over a camera switch), once the playlist lists the tracks */
      if (soundChoice) { hls.audioTrack = parseInt(soundChoice.value, 10); }
    });
    hls.on(window.Hls.Events.AUDIO_TRACK_SWITCHED, function (_event, data) {
      var track = hls.audioTracks[data.id];
      if (track) { box.setAttribute("data-sound", track.name); }  /* what is heard, for the tests */
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

/* The recording's GPS track (a bodycam): drawn over a grid by track_trace.js, the point of the
   current playback time marked; positions that fail their journal hash are left out and said so. */
function showTrace(video) {
  "use strict";
  var svg = document.getElementById("trace");
  if (!svg || typeof drawTrackTrace !== "function") { return; }
  var status = document.getElementById("trace-status");
  fetch(svg.getAttribute("data-track"), { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (trace) {
      var points = trace.points.map(function (p) { return [p[0], p[1]]; });
      var times = trace.points.map(function (p) { return p[2]; });
      var shown = -1;
      function draw() {
        var now = 0;
        while (now + 1 < times.length && times[now + 1] <= video.currentTime) { now += 1; }
        if (now === shown) { return; }
        shown = now;
        svg.setAttribute("data-current", String(now));
        drawTrackTrace(svg, points, { current: now });
      }
      draw();
      video.addEventListener("timeupdate", draw);
      video.addEventListener("seeked", draw);
      if (trace.problems.length) {
        status.textContent = "；轨迹不完整：" + trace.problems.length + " 段定位数据与日志哈希不符或无法读取，未绘出";
        svg.setAttribute("data-problems", String(trace.problems.length));
      }
    })
    .catch(function (error) { status.textContent = "；无法读取轨迹（" + error.message + "）"; });
}

/* The marks of the timeline: each placed on the bar by its share of the playing time (from script:
   the CSP allows no inline style), and a click on a mark's time seeks the video there. */
(function () {
  "use strict";
  var video = document.getElementById("video");
  document.querySelectorAll(".mark-bar .mark[data-left]").forEach(function (mark) {
    mark.style.left = mark.getAttribute("data-left") + "%";
    var width = parseFloat(mark.getAttribute("data-width") || "0");
    if (width > 0) { mark.style.width = width + "%"; }
  });
  document.querySelectorAll("button[data-seek]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = parseFloat(button.getAttribute("data-seek"));
      if (video && isFinite(target)) { video.currentTime = target; }
    });
  });
})();
