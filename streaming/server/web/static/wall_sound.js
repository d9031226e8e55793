// A courtroom's sound on the wall. Its microphones (mic-N) and their mix are not tiles of their own:
// an operator watches pictures, and a courtroom's sound belongs to its cameras. The room's sound — its
// microphones' mix, else its first microphone (a connected one first) — plays with each camera tile
// of the room: muted by default (a wall of rooms all talking at once helps nobody), a 开声音 button
// on the tile to listen (one room at a time), and a level meter that moves even while muted, so a
// dead microphone shows at a glance. A room with no picture at all (a hearing recorded as sound only)
// keeps one audio tile: its sound.
"use strict";

const MIX_STREAM = "mix";

// A feed's rank as the room's sound: connected first, then the mix, then by stream name.
function soundRank(feed) {
  return `${feed.connected ? 0 : 1}${feed.stream === MIX_STREAM ? 0 : 1}${feed.stream}`;
}

// {tileFeeds: the feeds that get a tile, roomSounds: Map room -> the sound feed of a room with pictures}
function arrangeFeeds(feeds) {
  const pictureRooms = new Set(feeds.filter((feed) => !isAudioOnly(feed)).map((feed) => feed.room));
  const chosen = new Map();
  for (const feed of feeds) {
    if (!isAudioOnly(feed)) continue;
    const best = chosen.get(feed.room);
    if (!best || soundRank(feed) < soundRank(best)) chosen.set(feed.room, feed);
  }
  const tileFeeds = feeds.filter((feed) => !isAudioOnly(feed) || (!pictureRooms.has(feed.room) && chosen.get(feed.room) === feed));
  const roomSounds = new Map([...chosen].filter(([room]) => pictureRooms.has(room)));
  return { tileFeeds, roomSounds };
}

// One room's sound: a WHEP audio player (muted until asked), its level, and the controls on its tiles.
class RoomSound {
  constructor(feed, iceServers) {
    this.feed = feed;
    this.iceServers = iceServers;
    this.media = document.createElement("audio");
    this.media.muted = true;
    this.media.autoplay = true;
    this.media.dataset.roomSound = feed.id;
    document.body.append(this.media);
    this.player = null;
    this.level = null;
    this.controls = new Set();
  }

  connect() {
    if (this.player || !this.feed.connected) return;
    const [room, stream] = this.feed.id.split("/");
    const player = new WhepPlayer(`whep/${encodeURIComponent(room)}/${encodeURIComponent(stream)}`, this.media, this.iceServers, ["audio"]);
    this.player = player;
    player.ontrack = (track) => {
      if (track.kind === "audio" && TrackLevel.supported() && this.player === player) {
        if (this.level) this.level.stop();
        this.level = new TrackLevel(track);
      }
    };
    player.onstatechange = (state) => { if (state === "failed" || state === "closed") this.drop(player); };
    player.start().catch(() => this.drop(player));
  }

  drop(player) {
    player.stop();
    if (this.player !== player) return;
    this.player = null; // the next poll reconnects
    if (this.level) this.level.stop();
    this.level = null;
  }

  setMuted(muted) {
    this.media.muted = muted;
    if (!muted) this.media.play().catch(() => {});
    for (const control of this.controls) control.show(muted);
  }

  async take() {
    if (this.level) return this.level.take();
    return this.player ? this.player.audioLevel().catch(() => null) : null;
  }

  stop() {
    if (this.player) this.drop(this.player);
    this.media.remove();
    for (const control of this.controls) control.element.remove();
    this.controls.clear();
  }
}

// The sound control of a camera tile: the room's level meter and a 开声音/关声音 button.
function soundControl(sound, onListen) {
  const element = document.createElement("div");
  element.className = "room-sound";
  element.dataset.soundFeed = sound.feed.id;
  const meter = document.createElement("meter");
  Object.assign(meter, { className: "level", min: LEVEL_FLOOR_DB, max: 0, low: -40, high: -6, optimum: -20, value: LEVEL_FLOOR_DB });
  meter.title = `法庭声音音量（${sound.feed.stream_label || sound.feed.stream}，dBFS）`;
  meter.setAttribute("aria-label", "法庭声音音量");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "listen";
  element.append(button, meter);
  const control = {
    element, meter,
    show(muted) {
      button.textContent = muted ? "开声音" : "关声音";
      button.setAttribute("aria-pressed", String(!muted));
    },
  };
  button.addEventListener("click", (event) => {
    event.stopPropagation(); // not an enlargement
    onListen(sound, sound.media.muted);
  });
  control.show(sound.media.muted);
  sound.controls.add(control);
  return control;
}

// Gives a camera tile its room's sound control, or takes it away when the room has none (any more).
function attachSound(tile, sounds, listen) {
  const sound = tile.audioOnly ? undefined : sounds.get(tile.feed.room);
  if (tile.soundControl && (!sound || !sound.controls.has(tile.soundControl))) {
    tile.soundControl.element.remove();
    tile.soundControl = null;
  }
  if (sound && !tile.soundControl) {
    tile.soundControl = soundControl(sound, listen);
    tile.element.append(tile.soundControl.element);
  }
}

// Keeps `sounds` (room -> RoomSound) to the rooms' chosen sound feeds.
function syncSounds(sounds, roomSounds, iceServers) {
  for (const [room, sound] of [...sounds]) {
    const feed = roomSounds.get(room);
    if (feed && feed.id === sound.feed.id) continue;
    sound.stop(); // gone, or another feed is now the room's sound (its mix came)
    sounds.delete(room);
  }
  for (const [room, feed] of roomSounds) {
    if (!sounds.has(room)) sounds.set(room, new RoomSound(feed, iceServers));
    const sound = sounds.get(room);
    sound.feed = feed;
    sound.connect();
  }
}
