// The command-centre wall: one tile per live picture, polled from api/feeds; click a tile to enlarge it
// with sound. A courtroom's microphones and their mix are no tiles: the room's sound goes with its
// camera tiles (wall_sound.js); only a room without pictures gets an "仅音频" tile with a level meter.
// A tile whose picture stops for more than STALE_SECONDS (wall_labels.js) turns red with
// "信号中断 N 秒" and recovers by itself when the picture comes back.
"use strict";

const POLL_MS = 1000;
const TICK_MS = 250;
const LEVEL_MS = 250;
const tiles = new Map(); // feed id -> tile state (see addTile)
const sounds = new Map(); // room -> its RoomSound (rooms with pictures only; wall_sound.js)
const filter = { court: "", kind: "" };
let iceServers = [];

function text(tag, className, value) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = value;
  return element;
}

// Seconds since the browser last saw a frame of this tile (video: a painted frame; audio: none), or null.
function localGap(tile) {
  if (tile.audioOnly || tile.lastFrameAt === null) return null;
  return (performance.now() - tile.lastFrameAt) / 1000;
}

function serverAge(tile) {
  const feed = tile.feed;
  if (feed.seconds_since_frame === null || feed.seconds_since_frame === undefined) return null;
  return feed.seconds_since_frame + (performance.now() - tile.polledAt) / 1000;
}

function render(tile) {
  const feed = tile.feed;
  const outage = outageOf(feed, serverAge(tile), localGap(tile));
  const d = describeFeed(feed);
  const state = stateWord(d.recording, outage);
  const parts = [text("div", "title", d.title), text("span", "case", d.caseLine)];
  if (d.where) parts.push(text("span", "where", d.where));
  if (d.battery) parts.push(text("span", "battery", d.battery));
  parts.push(text("span", `state ${state.className}`, state.word));
  tile.label.replaceChildren(...parts);
  tile.label.title = d.codes; // the feed id and device case code stay in the tooltip
  renderTrace(tile);
  tile.element.classList.toggle("lost", outage.kind === "lost");
  tile.element.classList.toggle("stale", outage.kind === "stale");
  tile.element.classList.toggle("waiting", outage.kind === "waiting");
  tile.element.dataset.outage = outage.kind || "";
  const words = outageText(outage, tile.audioOnly);
  if (words) tile.outage.replaceChildren(text("strong", "", words.headline), text("span", "", words.detail));
  else tile.outage.replaceChildren();
}

// A bodycam's recent GPS trace, drawn over a grid in the tile's corner (track_trace.js).
function renderTrace(tile) {
  const trace = (tile.feed.telemetry || {}).trace || [];
  if (!trace.length) {
    if (tile.trace) tile.trace.remove();
    tile.trace = null;
    tile.traceKey = "";
    return;
  }
  if (!tile.trace) {
    tile.trace = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    tile.trace.classList.add("trace");
    tile.element.append(tile.trace);
  }
  const key = `${trace.length}:${trace[trace.length - 1].join(",")}`;
  if (key === tile.traceKey) return; // redraw only when the trace changed
  tile.traceKey = key;
  drawTrackTrace(tile.trace, trace);
}

function muteAll() {
  for (const tile of tiles.values()) tile.media.muted = true;
  for (const sound of sounds.values()) sound.setMuted(true);
}

// One room's sound at a time (the click is the user gesture that allows sound).
function listen(sound, on) {
  muteAll();
  if (on) sound.setMuted(false);
}

function toggleEnlarged(tile) {
  const enlarge = !tile.element.classList.contains("enlarged");
  for (const other of tiles.values()) other.element.classList.remove("enlarged");
  muteAll();
  if (!enlarge) return;
  tile.element.classList.add("enlarged");
  const sound = sounds.get(tile.feed.room);
  if (sound && !tile.audioOnly) {
    sound.setMuted(false); // the courtroom's sound, not the camera's own
    return;
  }
  tile.media.muted = false;
  tile.media.play().catch(() => {});
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
  meter.title = "音量（dBFS）";
  meter.setAttribute("aria-label", "音量");
  panel.append(text("span", "audio-badge", "仅音频"), meter);
  return { panel, meter };
}

// Counts painted frames: the browser's own evidence that the picture moves.
function watchFrames(tile) {
  const video = tile.media;
  if (typeof video.requestVideoFrameCallback !== "function") return;
  const onFrame = () => {
    tile.lastFrameAt = performance.now();
    if (tiles.get(tile.feed.id) === tile) video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
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
  const outage = document.createElement("div");
  outage.className = "outage";
  outage.setAttribute("role", "status");
  element.append(media, outage, label);
  document.getElementById("grid").append(element);
  const tile = {
    element, media, meter, label, outage, feed, audioOnly,
    level: null, player: null, lastFrameAt: null, polledAt: performance.now(), trace: null, traceKey: "",
    soundControl: null,
  };
  element.addEventListener("click", () => toggleEnlarged(tile));
  tiles.set(feed.id, tile);
  if (!audioOnly) watchFrames(tile);
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
  if (tile.soundControl) for (const sound of sounds.values()) sound.controls.delete(tile.soundControl);
  tile.element.remove();
  tiles.delete(id);
}

// Columns and rows for the visible tiles: 1, 2x2, 3x3, 4x4 (16 feeds fill the screen), then more rows.
function layout() {
  const visible = [...tiles.values()].filter((tile) => !tile.element.classList.contains("hidden")).length;
  const cols = visible <= 1 ? 1 : visible <= 4 ? 2 : visible <= 9 ? 3 : 4;
  const rows = Math.max(1, Math.ceil(visible / cols));
  const grid = document.getElementById("grid");
  grid.style.setProperty("--cols", String(cols));
  grid.style.setProperty("--rows", String(rows));
  document.getElementById("empty").classList.toggle("hidden", visible > 0);
  return visible;
}

function applyFilter() {
  for (const tile of tiles.values()) {
    const feed = tile.feed;
    const shown = (!filter.court || (feed.court || "") === filter.court)
      && (!filter.kind || feedCategory(feed) === filter.kind);
    tile.element.classList.toggle("hidden", !shown);
  }
  const visible = layout();
  const total = tiles.size;
  document.getElementById("status").textContent =
    visible === total ? `实时画面 ${total} 路` : `实时画面 ${total} 路，显示 ${visible} 路`;
  return visible;
}

function updateCourtChoices(feeds) {
  const select = document.getElementById("court-filter");
  const courts = [...new Set(feeds.map((feed) => feed.court).filter(Boolean))].sort();
  const known = [...select.options].slice(1).map((option) => option.value);
  if (courts.join("\n") === known.join("\n")) return;
  select.replaceChildren(new Option("全部法院", ""), ...courts.map((court) => new Option(court, court)));
  select.value = courts.includes(filter.court) ? filter.court : "";
  filter.court = select.value;
}

async function poll() {
  try {
    const response = await fetch("api/feeds", { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      location.reload(); // signed out elsewhere: show the sign-in page
      return;
    }
    if (!response.ok) throw new Error(`${response.status}`);
    const { feeds } = await response.json();
    const { tileFeeds, roomSounds } = arrangeFeeds(feeds);
    syncSounds(sounds, roomSounds, iceServers);
    const seen = new Set();
    for (const feed of tileFeeds) {
      seen.add(feed.id);
      let tile = tiles.get(feed.id);
      if (tile && tile.audioOnly !== isAudioOnly(feed)) {
        removeTile(feed.id); // the publisher came back with other media: rebuild the tile
        tile = undefined;
      }
      if (!tile) tile = addTile(feed);
      tile.feed = feed;
      tile.polledAt = performance.now();
      render(tile);
      attachSound(tile, sounds, listen);
      if (!tile.player && feed.connected) connect(tile, feed);
    }
    for (const id of [...tiles.keys()]) if (!seen.has(id)) removeTile(id);
    updateCourtChoices(feeds);
    applyFilter();
  } catch (error) {
    document.getElementById("status").textContent = `无法连接服务器（${error.message}），正在重试`;
  }
}

function tick() {
  document.getElementById("clock").textContent = `北京时间 ${beijingTime(new Date())}`;
  for (const tile of tiles.values()) render(tile);
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
    for (const sound of [...sounds.values()]) {
      const value = levelDb((await sound.take()) || 0);
      for (const control of sound.controls) control.meter.value = value;
    }
  } finally {
    showingLevels = false;
  }
}

function showLinks(links) {
  const nav = document.getElementById("links");
  const items = [];
  if (links.portal) {
    const back = text("a", "", "返回门户");
    back.href = links.portal;
    items.push(back);
  }
  const form = document.createElement("form");
  form.method = "post";
  form.action = links.signOut;
  if (links.signOutToken) {
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = links.signOutToken;
    form.append(token);
  }
  const button = text("button", "", "退出登录");
  button.type = "submit";
  form.append(button);
  items.push(form);
  nav.replaceChildren(...items);
}

function setUpFilters() {
  document.getElementById("court-filter").addEventListener("change", (event) => {
    filter.court = event.target.value;
    applyFilter();
  });
  for (const button of document.querySelectorAll(".kinds button")) {
    button.addEventListener("click", () => {
      filter.kind = button.dataset.kind;
      for (const other of document.querySelectorAll(".kinds button")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
      applyFilter();
    });
  }
}

async function main() {
  setUpFilters();
  tick();
  setInterval(tick, TICK_MS);
  try {
    const response = await fetch("api/config", { credentials: "same-origin" });
    if (response.ok) {
      const config = await response.json();
      iceServers = config.iceServers;
      showLinks(config.links);
    }
  } catch (error) { /* keep host candidates only */ }
  await poll();
  setInterval(poll, POLL_MS);
  setInterval(showLevels, LEVEL_MS);
}

main();
