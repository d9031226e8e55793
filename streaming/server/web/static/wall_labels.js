// What a wall tile says about its feed, in Chinese: who and where, the case, the recording state,
// and the outage state ("信号中断 N 秒") that replaces "录制中" while the picture is stale.
"use strict";

const STALE_SECONDS = 3;
const RECORDING_STATES = { recording: "录制中", stopped: "未录制", failed: "录制故障", degraded: "录制降级" };
const BEIJING = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

function beijingTime(date) {
  const parts = Object.fromEntries(BEIJING.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

function isAudioOnly(feed) {
  return Array.isArray(feed.kinds) && !feed.kinds.includes("video");
}

// "bodycam" for a body camera (it reports an officer or a position, or its room says so), else "courtroom".
function feedCategory(feed) {
  const t = feed.telemetry || {};
  if (feed.place) return "courtroom";
  if (t.officer || t.gps || /^bodycam/i.test(feed.room)) return "bodycam";
  return "courtroom";
}

// The outage a tile shows, from what the server last said and what the browser itself saw:
// {kind: "lost" | "stale" | "waiting" | null, seconds}
function outageOf(feed, serverAgeSeconds, localGapSeconds) {
  if (!feed.connected) return { kind: "lost", seconds: serverAgeSeconds };
  if (serverAgeSeconds === null && localGapSeconds === null) return { kind: "waiting", seconds: null };
  const age = Math.max(serverAgeSeconds === null ? 0 : serverAgeSeconds, localGapSeconds === null ? 0 : localGapSeconds);
  if (age > STALE_SECONDS) return { kind: "stale", seconds: age };
  return { kind: null, seconds: age };
}

function describeFeed(feed) {
  const t = feed.telemetry || {};
  const category = feedCategory(feed);
  const place = feed.place || feed.room;
  const title = category === "bodycam"
    ? `执法记录仪 ${feed.room}${t.officer ? " · " + t.officer : ""}`
    : `${feed.court ? feed.court + " · " : ""}${place} · ${feed.stream_label || feed.stream}`;
  const where = t.gps ? `位置 ${t.gps.lat.toFixed(5)}, ${t.gps.lon.toFixed(5)}` : (category === "bodycam" ? "位置未知" : "");
  const battery = t.battery_percent === undefined || t.battery_percent === null ? "" : `电量 ${Math.round(t.battery_percent)}%`;
  return {
    title,
    // the official number when the host knows the device's case code; else what the device said
    caseLine: feed.case_number || t.case ? `案号 ${feed.case_number || t.case}` : "未关联案件",
    codes: `${feed.id}${t.case && t.case !== feed.case_number ? " · " + t.case : ""}`, // for court IT
    where,
    battery,
    recording: t.recording || null,
  };
}

// The state word of a tile: never "录制中" while its picture is stale or its link lost.
function stateWord(recording, outage) {
  if (outage.kind === "lost") return { word: "连接中断", className: "state-stale" };
  if (outage.kind === "stale") return { word: "信号中断", className: "state-stale" };
  if (outage.kind === "waiting") return { word: "等待画面", className: "state-waiting" };
  if (!recording) return { word: "录制状态未知", className: "state-unknown" };
  return { word: RECORDING_STATES[recording] || `录制状态：${recording}`, className: `state-${recording}` };
}

function outageText(outage, audioOnly) {
  const n = outage.seconds === null ? "" : ` ${Math.floor(outage.seconds)} 秒`;
  if (outage.kind === "lost") return { headline: `连接中断${n}`, detail: "设备已断开，恢复后自动重连" };
  if (outage.kind === "stale") return { headline: `信号中断${n}`, detail: audioOnly ? "收不到声音" : "收不到画面" };
  if (outage.kind === "waiting") return { headline: "等待画面", detail: "正在连接" };
  return null;
}
