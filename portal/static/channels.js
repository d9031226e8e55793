/* Per-microphone mute and solo (a recording with several microphones and their mix).

   The video plays the camera with the mix (the multivariant playlist's default sound), as in every
   simple player. Once a microphone is muted or soloed, each microphone plays through its own hls.js
   audio element, slaved to the video (play, pause, seek, rate; resynced when it drifts more than
   0.15 s), and the mix is silenced: Web Audio gains decide what is heard. Every playlist and segment
   still comes through the portal's audited, access-checked routes. The sum of what is heard is
   measured (an AnalyserNode) into the panel's data-level and data-peak-hz. */
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

  function apply() {
    var anySolo = channels.some(function (c) { return c.soloed; });
    var apart = separate();
    graph();
    if (context.state === "suspended") { context.resume(); }
    mixGain.gain.value = apart ? 0 : 1;
    var heard = [];
    channels.forEach(function (c) {
      c.mute.setAttribute("aria-pressed", String(c.muted));
      c.solo.setAttribute("aria-pressed", String(c.soloed));
      c.row.setAttribute("data-heard", "false");
      if (!apart) { if (c.gain) { c.gain.gain.value = 0; } return; }
      open(c);
      var on = anySolo ? c.soloed && !c.muted : !c.muted;
      c.gain.gain.value = on ? 1 : 0;
      c.row.setAttribute("data-heard", String(on));
      if (on) { heard.push(c.name); }
      follow(c, false);
    });
    stateLine.textContent = !apart ? "正在播放：混音"
      : (heard.length ? "正在播放：" + heard.join("、") : "全部麦克风已静音");
  }

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
