// The loudness of a live audio track for the wall's level meters, in dBFS (RMS).
// Chromium hands a track's raw samples to script (MediaStreamTrackProcessor) without playing it, so a
// muted tile, which the browser will not play before the operator's first click, still shows its level.
// Where that is missing, the wall falls back on the player's WebRTC statistics (only audio being heard).
"use strict";

const LEVEL_FLOOR_DB = -60;

class TrackLevel {
  static supported() {
    return typeof MediaStreamTrackProcessor === "function";
  }

  constructor(track) {
    this.loudest = 0;
    this.track = track.clone(); // stopping our clone leaves the played track alone
    this.reader = new MediaStreamTrackProcessor({ track: this.track }).readable.getReader();
    this.samples = new Float32Array(0);
    this.read();
  }

  async read() {
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) return;
        try {
          this.measure(value);
        } finally {
          value.close();
        }
      }
    } catch (error) { /* the track ended or the reader was cancelled */ }
  }

  measure(data) {
    const count = data.numberOfFrames;
    if (this.samples.length < count) this.samples = new Float32Array(count);
    const samples = this.samples.subarray(0, count);
    data.copyTo(samples, { planeIndex: 0, format: "f32-planar" }); // the first channel
    let sum = 0;
    for (let i = 0; i < count; i++) sum += samples[i] * samples[i];
    this.loudest = Math.max(this.loudest, Math.sqrt(sum / count));
  }

  // The RMS (0..1) of the loudest chunk since the last call.
  take() {
    const level = this.loudest;
    this.loudest = 0;
    return level;
  }

  stop() {
    this.reader.cancel().catch(() => {});
    this.track.stop();
  }
}

function levelDb(level) {
  return level > 0 ? Math.max(LEVEL_FLOOR_DB, 20 * Math.log10(level)) : LEVEL_FLOOR_DB;
}
