// The command-centre wall: one tile per live feed, polled from api/feeds; click a tile to enlarge it with sound.
"use strict";

const POLL_MS = 2000;
const STALE_SECONDS = 3;
const tiles = new Map(); // feed id -> {element, player, video, label}
let iceServers = [];

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
  const since = feed.seconds_since_frame === null ? "no frame yet" : `${feed.seconds_since_frame.toFixed(1)} s since last frame`;
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
    other.video.muted = true;
  }
  if (enlarge) {
    tile.element.classList.add("enlarged");
    tile.video.muted = false; // the click is the user gesture that allows sound
    tile.video.play().catch(() => {});
  }
}

function addTile(feed) {
  const element = document.createElement("figure");
  element.className = "tile";
  element.dataset.feedId = feed.id;
  const video = document.createElement("video");
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  const label = document.createElement("figcaption");
  label.className = "label";
  element.append(video, label);
  document.getElementById("grid").append(element);
  const tile = { element, video, label, player: null, restartAt: 0 };
  element.addEventListener("click", () => toggleEnlarged(tile));
  tiles.set(feed.id, tile);
  return tile;
}

function connect(tile, feed) {
  const [room, stream] = feed.id.split("/");
  const player = new WhepPlayer(`whep/${encodeURIComponent(room)}/${encodeURIComponent(stream)}`, tile.video, iceServers);
  tile.player = player;
  player.onstatechange = (state) => {
    if (state === "failed" || state === "closed") {
      player.stop();
      if (tile.player === player) tile.player = null; // the next poll reconnects
    }
  };
  player.start().catch((error) => {
    console.warn("WHEP", feed.id, error);
    player.stop();
    if (tile.player === player) tile.player = null;
  });
}

function removeTile(id) {
  const tile = tiles.get(id);
  if (!tile) return;
  if (tile.player) tile.player.stop();
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
      const tile = tiles.get(feed.id) || addTile(feed);
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

async function main() {
  try {
    const response = await fetch("api/config", { credentials: "same-origin" });
    if (response.ok) iceServers = (await response.json()).iceServers;
  } catch (error) { /* keep host candidates only */ }
  await poll();
  setInterval(poll, POLL_MS);
}

main();
