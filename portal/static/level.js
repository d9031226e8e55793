/* The level of a player that has only sound: the bar #level-bar (in a .level box) moves with what is
   heard, measured by a Web Audio analyser from the first play; its box's data-level is the peak
   (0..1). Shared by the review player (player.js) and the public replay (replay.js). */
function showLevel() {
  "use strict";
  var video = document.getElementById("video");
  var bar = document.getElementById("level-bar");
  var analyser = null;
  var samples = null;
  video.addEventListener("play", function () {
    if (analyser) { return; }
    var context = new (window.AudioContext || window.webkitAudioContext)();
    var input = context.createMediaElementSource(video);
    analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    samples = new Float32Array(analyser.fftSize);
    input.connect(analyser);
    analyser.connect(context.destination);
    (function draw() {
      analyser.getFloatTimeDomainData(samples);
      var peak = 0;
      for (var i = 0; i < samples.length; i++) { peak = Math.max(peak, Math.abs(samples[i])); }
      bar.style.width = Math.min(100, peak * 100).toFixed(1) + "%";
      bar.parentNode.setAttribute("data-level", peak.toFixed(3));
      window.requestAnimationFrame(draw);
    })();
  });
}
