/* Per-microphone mute and solo (a recording with several microphones and their mix).

   The video plays the camera with the mix (the multivariant playlist's default sound), as in every
   simple player. Once a microphone is muted or soloed, each microphone plays through its own hls.js
   audio element, slaved to the video (play, pause, seek, rate; resynced when it drifts more than
   0.15 s), and the mix is silenced: Web Audio gains decide what is heard. Every playlist and segment
   still comes through the portal's audited, access-checked routes. The sum of what is heard is
   measured (an AnalyserNode) into the panel's data-level and data-peak-hz.
   A camera switch loads another page: the panel's data-muted and data-soloed go with it (player.js
   puts them in the link as mute= and solo=), and the new page applies them from its first play. */
(function () {
  "use strict";
  var panel = document.getElementById("channels");
  var video = document.getElementById("video");
  if (!panel || !video) { return; }
  var MAX_DRIFT = 0.15;
  var stateLine = document.getElementById("channel-state");
  var bar = document.getElementById("level-bar");
  var rows = Array.prototype.slice.call(panel.querySelectorAll("li[data-stream]"));
  var channels = rows.map(function (row) {
    return {
      row: row, name: row.querySelector(".channel-name").textContent,
      playlist: row.getAttribute("data-playlist"),
      mute: row.querySelector(".channel-mute"), solo: row.querySelector(".channel-solo"),
      muted: false, soloed: false, element: null, hls: null, gain: null
    };
  });
  var context = null;
  var mixGain = null;
  var analyser = null;

  function graph() {  /* made on the first play or button press (a user's gesture lets it sound) */
    if (context) { return context; }
    context = new (window.AudioContext || window.webkitAudioContext)();
    analyser = context.createAnalyser();
    analyser.fftSize = 4096;
    analyser.connect(context.destination);
    mixGain = context.createGain();
    context.createMediaElementSource(video).connect(mixGain);
    mixGain.connect(analyser);
    measure();
    return context;
  }

  function measure() {
    var samples = new Float32Array(analyser.fftSize);
    var spectrum = new Float32Array(analyser.frequencyBinCount);
    window.setInterval(function () {
      analyser.getFloatTimeDomainData(samples);
      var peak = 0;
      for (var i = 0; i < samples.length; i++) { peak = Math.max(peak, Math.abs(samples[i])); }
      analyser.getFloatFrequencyData(spectrum);
      var best = 0;
      for (var j = 1; j < spectrum.length; j++) { if (spectrum[j] > spectrum[best]) { best = j; } }
      panel.setAttribute("data-level", peak.toFixed(3));
      if (bar) {  /* a recording with sound only: its level bar shows what is heard */
        bar.style.width = Math.min(100, peak * 100).toFixed(1) + "%";
        bar.parentNode.setAttribute("data-level", peak.toFixed(3));
      }
      panel.setAttribute("data-peak-hz", peak > 0.001 ? String(Math.round(best * context.sampleRate / analyser.fftSize)) : "0");
    }, 100);
  }

  function separate() { return channels.some(function (c) { return c.muted || c.soloed; }); }

  function open(channel) {  /* the microphone's own track, through the same routes as the video's */
    if (channel.element) { return; }
    var element = document.createElement("audio");
    element.preload = "auto";
    element.setAttribute("data-stream", channel.row.getAttribute("data-stream"));
    channel.row.appendChild(element);  /* no controls: nothing shows; the video's controls drive it */
    channel.element = element;
    if (window.Hls && window.Hls.isSupported()) {
      channel.hls = new window.Hls({ enableWorker: true, lowLatencyMode: false });
      channel.hls.loadSource(channel.playlist);
      channel.hls.attachMedia(element);
    } else {
      element.src = channel.playlist;
    }
    channel.gain = graph().createGain();
    context.createMediaElementSource(element).connect(channel.gain);
    channel.gain.connect(analyser);
    element.addEventListener("loadedmetadata", function () { follow(channel, true); });
  }

  function follow(channel, always) {  /* keep one microphone on the video's position and state */
    var element = channel.element;
    if (!element || element.readyState < 1) { return; }
    element.playbackRate = video.playbackRate;
    if (always || Math.abs(element.currentTime - video.currentTime) > MAX_DRIFT) {
      element.currentTime = video.currentTime;
    }
    if (video.paused && !element.paused) { element.pause(); }
    if (!video.paused && element.paused) { element.play().catch(function () {}); }
  }

  function heard(c) {  /* whether microphone ``c`` is heard (while the microphones play apart) */
    var anySolo = channels.some(function (other) { return other.soloed; });
    return anySolo ? c.soloed && !c.muted : !c.muted;
  }

  function streams(pick) {
    return channels.filter(pick).map(function (c) { return c.row.getAttribute("data-stream"); }).join(",");
  }

  function show() {  /* the buttons, the state line, and the state a camera switch carries */
    var apart = separate();
    var names = [];
    channels.forEach(function (c) {
      var on = apart && heard(c);
      c.mute.setAttribute("aria-pressed", String(c.muted));
      c.solo.setAttribute("aria-pressed", String(c.soloed));
      c.row.setAttribute("data-heard", String(on));
      if (on) { names.push(c.name); }
    });
    panel.setAttribute("data-muted", streams(function (c) { return c.muted; }));
    panel.setAttribute("data-soloed", streams(function (c) { return c.soloed; }));
    stateLine.textContent = !apart ? "正在播放：混音"
      : (names.length ? "正在播放：" + names.join("、") : "全部麦克风已静音");
  }

  function apply() {
    var apart = separate();
    restored = false;
    graph();
    if (context.state === "suspended") { context.resume(); }
    mixGain.gain.value = apart ? 0 : 1;
    channels.forEach(function (c) {
      if (!apart) { if (c.gain) { c.gain.gain.value = 0; } return; }
      open(c);
      c.gain.gain.value = heard(c) ? 1 : 0;
      follow(c, false);
    });
    show();
  }

  /* the mute and solo a camera switch carried over (player.js): shown now, heard from the first play */
  var carried = new URLSearchParams(window.location.search);
  function listed(name) { return (carried.get(name) || "").split(",").filter(Boolean); }
  channels.forEach(function (c) {
    var stream = c.row.getAttribute("data-stream");
    c.muted = listed("mute").indexOf(stream) >= 0;
    c.soloed = listed("solo").indexOf(stream) >= 0;
  });
  var restored = separate();
  show();

  channels.forEach(function (c) {
    c.mute.addEventListener("click", function () { c.muted = !c.muted; apply(); });
    c.solo.addEventListener("click", function () { c.soloed = !c.soloed; apply(); });
  });
  document.getElementById("channels-mix").addEventListener("click", function () {
    channels.forEach(function (c) { c.muted = false; c.soloed = false; });
    apply();
  });

  function followAll(always) {
    if (!separate()) {
      channels.forEach(function (c) { if (c.element && !c.element.paused) { c.element.pause(); } });
      return;
    }
    channels.forEach(function (c) { follow(c, always); });
  }
  video.addEventListener("play", function () {
    if (restored) { apply(); }  /* playing is allowed, so the sound may start too */
    var activated = bar || !navigator.userActivation || navigator.userActivation.hasBeenActive;
    /* without a user's gesture the graph may start suspended and silence the video; sound only: the
       level bar needs it at once (as player.js's own level does) */
    if (activated) {
      graph();
      if (context.state === "suspended") { context.resume(); }
    }
    followAll(false);
  });
  ["pause", "ratechange"].forEach(function (name) {
    video.addEventListener(name, function () { followAll(false); });
  });
  video.addEventListener("seeked", function () { followAll(true); });
  window.setInterval(function () { followAll(false); }, 250);
})();
