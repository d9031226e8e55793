// The command-centre wall: one tile per live feed, polled from api/feeds; click a tile to enlarge it with sound.
// A feed without video (a courtroom microphone) gets an "audio only" tile with a level meter.
"use strict";

const POLL_MS = 2000;
const LEVEL_MS = 250;
const STALE_SECONDS = 3;
const tiles = new Map(); // feed id -> {element, media, meter, level, label, player, audioOnly}
let iceServers = [];

function isAudioOnly(feed) {
  return Array.isArray(feed.kinds) && !feed.kinds.includes("video");
}

function text(tag, className, value) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = value;
  return element;
}

function describe(feed) {
  const t = feed.telemetry || {};
  const who = t.officer ? `${feed.room} · ${t.officer}` : feed.room;
  const where = t.gps ? `${t.gps.lat.toFixed(5)}, ${t.gps.lon.toFixed(5)}` : "location unknown";
  const unit = isAudioOnly(feed) ? "packet" : "frame";
  const since = feed.seconds_since_frame === null ? `no ${unit} yet` : `${feed.seconds_since_frame.toFixed(1)} s since last ${unit}`;
  const battery = t.battery_percent === undefined || t.battery_percent === null ? "" : ` · battery ${Math.round(t.battery_percent)}%`;
  return {
    title: `${who} — ${feed.stream}`,
    caseLine: t.case ? `case ${t.case}` : "no case",
    where,
    state: t.recording || "unknown",
    since: (feed.connected ? "" : "LINK LOST · ") + since + battery,
  };
}

function renderLabel(tile, feed) {
  const d = describe(feed);
  tile.label.replaceChildren(
    text("div", "title", d.title),
    text("div", "case", d.caseLine),
    text("div", "where", d.where),
    text("span", `state state-${d.state}`, d.state),
    text("span", "since", " · " + d.since),
  );
  tile.element.classList.toggle("lost", !feed.connected);
  tile.element.classList.toggle("stale", feed.connected && (feed.seconds_since_frame === null || feed.seconds_since_frame > STALE_SECONDS));
}

function toggleEnlarged(tile) {
  const enlarge = !tile.element.classList.contains("enlarged");
  for (const other of tiles.values()) {
    other.element.classList.remove("enlarged");
    other.media.muted = true;
  }
  if (enlarge) {
    tile.element.classList.add("enlarged");
    tile.media.muted = false; // the click is the user gesture that allows sound
    tile.media.play().catch(() => {});
  }
}

// The placeholder of an audio-only tile: what it is, and how loud (dBFS RMS, see audio_level.js).
function audioPanel() {
  const panel = document.createElement("div");
  panel.className = "audio-panel";
  const meter = document.createElement("meter");
  meter.className = "level";
  meter.min = LEVEL_FLOOR_DB;
  meter.max = 0;
  meter.low = -40;
  meter.high = -6;
  meter.optimum = -20;
  meter.value = LEVEL_FLOOR_DB;
  meter.title = "audio level (dBFS)";
  meter.setAttribute("aria-label", "audio level");
  panel.append(text("span", "audio-badge", "audio only"), meter);
  return { panel, meter };
}

function addTile(feed) {
  const element = document.createElement("figure");
  element.className = "tile";
  element.dataset.feedId = feed.id;
  const audioOnly = isAudioOnly(feed);
  // Browsers play a muted <video> at once, but a muted <audio> only after the operator's first click
  // on the page (its level meter does not wait for that); a click on the tile plays it with sound.
  const media = document.createElement(audioOnly ? "audio" : "video");
  media.muted = true;
  media.autoplay = true;
  let meter = null;
  if (audioOnly) {
    element.classList.add("audio-only");
    const parts = audioPanel();
    meter = parts.meter;
    element.append(parts.panel);
  } else {
    media.playsInline = true;
  }
  const label = document.createElement("figcaption");
  label.className = "label";
  element.append(media, label);
  document.getElementById("grid").append(element);
  const tile = { element, media, meter, level: null, label, player: null, audioOnly };
  element.addEventListener("click", () => toggleEnlarged(tile));
  tiles.set(feed.id, tile);
  return tile;
}

function stopLevel(tile) {
  if (tile.level) tile.level.stop();
  tile.level = null;
}

function dropPlayer(tile, player) {
  player.stop();
  if (tile.player !== player) return;
  tile.player = null; // the next poll reconnects
  stopLevel(tile);
}

function connect(tile, feed) {
  const [room, stream] = feed.id.split("/");
  const url = `whep/${encodeURIComponent(room)}/${encodeURIComponent(stream)}`;
  // a video tile also asks for audio (the server leaves it out when the feed has none)
  const player = new WhepPlayer(url, tile.media, iceServers, tile.audioOnly ? ["audio"] : ["video", "audio"]);
  tile.player = player;
  player.ontrack = (track) => {
    if (tile.meter && track.kind === "audio" && TrackLevel.supported() && tile.player === player) {
      stopLevel(tile);
      tile.level = new TrackLevel(track);
    }
  };
  player.onstatechange = (state) => {
    if (state === "failed" || state === "closed") dropPlayer(tile, player);
  };
  player.start().catch((error) => {
    console.warn("WHEP", feed.id, error);
    dropPlayer(tile, player);
  });
}

function removeTile(id) {
  const tile = tiles.get(id);
  if (!tile) return;
  if (tile.player) dropPlayer(tile, tile.player);
  tile.element.remove();
  tiles.delete(id);
}

async function poll() {
  try {
    const response = await fetch("api/feeds", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(`feeds: ${response.status}`);
    const { feeds } = await response.json();
    const seen = new Set();
    for (const feed of feeds) {
      seen.add(feed.id);
      let tile = tiles.get(feed.id);
      if (tile && tile.audioOnly !== isAudioOnly(feed)) {
        removeTile(feed.id); // the publisher came back with other media: rebuild the tile
        tile = undefined;
      }
      if (!tile) tile = addTile(feed);
      renderLabel(tile, feed);
      if (!tile.player && feed.connected) connect(tile, feed);
    }
    for (const id of [...tiles.keys()]) if (!seen.has(id)) removeTile(id);
    document.getElementById("empty").classList.toggle("hidden", feeds.length > 0);
    document.getElementById("status").textContent = `${feeds.length} live · updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    document.getElementById("status").textContent = `cannot reach the server (${error.message})`;
  }
}

let showingLevels = false;

async function showLevels() {
  if (showingLevels) return; // the previous round's statistics are still coming
  showingLevels = true;
  try {
    for (const tile of [...tiles.values()]) {
      if (!tile.meter) continue;
      let level = null;
      if (tile.level) level = tile.level.take();
      else if (tile.player) level = await tile.player.audioLevel().catch(() => null);
      tile.meter.value = levelDb(level || 0);
    }
  } finally {
    showingLevels = false;
  }
}

async function main() {
  try {
    const response = await fetch("api/config", { credentials: "same-origin" });
    if (response.ok) iceServers = (await response.json()).iceServers;
  } catch (error) { /* keep host candidates only */ }
  await poll();
  setInterval(poll, POLL_MS);
  setInterval(showLevels, LEVEL_MS);
}

main();
