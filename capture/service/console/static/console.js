// The clerk's console: polls the state (1 s), the sound levels (200 ms) and the camera pictures
// (500 ms) from this PC's recorder service; every action carries the clerk's name and the page's
// CSRF token. Nothing is loaded from anywhere else.
"use strict";

const csrf = document.querySelector('meta[name="console-csrf"]').content;
const $ = (id) => document.getElementById(id);
const NAME_KEY = "courtrec-console-clerk";
const PAUSE_NAMES = { recess: "休庭", non_public_evidence: "不公开质证的证据", mediation: "调解", other: "其他" };
const NOTE_NAMES = { speaker: "发言人", exhibit: "出示证据", event: "庭审事件", text: "自由记录" };
const ITEM_NAMES = { camera: "摄像机", microphone: "麦克风", storage: "存储", upload: "上传" };
let streams = [];

// a stream's name as people read it (审判席摄像机, 麦克风 1), from the state document
const labelOf = (name) => (streams.find((s) => s.name === name) || {}).label || name;
let pictureRound = 0;

function say(text, ok) {
  const box = $("message");
  box.textContent = text;
  box.className = ok ? "message ok" : "message";
}

function beijingNow() {
  return new Date().toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

async function act(path, body) {
  const by = $("clerk-name").value.trim();
  if (!by) {
    say("请先填写书记员姓名（记入录像日志）");
    $("clerk-name").focus();
    return null;
  }
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Console-CSRF": csrf },
    body: JSON.stringify({ ...body, by }),
  });
  let answer = {};
  try { answer = await response.json(); } catch (e) { answer = { detail: `HTTP ${response.status}` }; }
  if (!response.ok) {
    say(answer.detail || `操作失败（HTTP ${response.status}）`);
    answer.refused = true;
    answer.status = response.status;
  }
  refreshState();
  return answer;
}

function hearingText(h, prefix) {
  if (!h) return "";
  if (h.ad_hoc) return `${prefix}临时庭审${h.case_number ? "（" + h.case_number + "）" : ""}，${h.starts} 开始`;
  return `${prefix}${h.case_number}，${h.starts} 开庭，预计 ${h.expected_end} 结束（北京时间）`;
}

function renderStreams(list) {
  const names = list.map((s) => `${s.name}:${s.video}:${s.audio}`).join("|");
  if (names !== streams.map((s) => `${s.name}:${s.video}:${s.audio}`).join("|")) {
    const cameras = $("cameras"), mics = $("microphones");
    cameras.replaceChildren();
    mics.replaceChildren();
    for (const s of list) {
      if (s.video) {
        const box = document.createElement("div");
        box.className = "camera";
        box.dataset.stream = s.name;
        box.innerHTML = `<figure><img alt=""><figcaption></figcaption></figure>
          <label><input type="checkbox" class="confirm-camera"> 画面正常</label> <span class="problems"></span>`;
        box.querySelector("img").alt = `${s.label || s.name}的画面`;
        box.querySelector("figcaption").textContent = s.label || s.name;
        box.querySelector(".confirm-camera").value = s.name;
        cameras.append(box);
      }
      if (s.audio) {
        const row = document.createElement("div");
        row.className = "mic";
        row.dataset.stream = s.name;
        row.innerHTML = `<span class="mic-name"></span><div class="meter" role="meter" aria-valuemin="-60"
          aria-valuemax="0"><div class="bar"></div></div><span class="db">无信号</span>
          <label><input type="checkbox" class="confirm-microphone"> 声音正常</label> <span class="problems"></span>`;
        row.querySelector(".mic-name").textContent = s.label || s.name;
        row.querySelector(".meter").setAttribute("aria-label", `${s.label || s.name} 电平`);
        row.querySelector(".confirm-microphone").value = s.name;
        mics.append(row);
      }
    }
    if (!list.length) {
      cameras.textContent = "未在录像：开始录像后显示画面。";
      mics.textContent = "未在录像：开始录像后显示电平。";
    }
    streams = list;
  }
  for (const s of list) {
    for (const box of document.querySelectorAll(`[data-stream="${CSS.escape(s.name)}"] .problems`)) {
      box.textContent = s.problems.join("、");
    }
  }
}

async function refreshState() {
  let state;
  try {
    const response = await fetch("/api/state", { credentials: "same-origin" });
    if (!response.ok) {
      say((await response.json()).detail || `HTTP ${response.status}`);
      return;
    }
    state = await response.json();
  } catch (e) {
    $("state").textContent = "无法连接本机录像服务";
    $("state").dataset.state = "fault";
    return;
  }
  $("state").textContent = state.state_name;
  $("state").dataset.state = state.state;
  $("elapsed").textContent = duration(state.elapsed_seconds);
  $("hearing").textContent = state.hearing ? hearingText(state.hearing, "当前庭审：") : "当前没有庭审在录像";
  $("next-hearing").textContent = hearingText(state.next_hearing, "下一场：");
  $("headroom").textContent = state.storage_headroom_hours === null ? "—" : `${state.storage_headroom_hours} 小时`;
  $("backlog").textContent = state.uploads ? String(state.upload_backlog) : "—（未配置上传）";
  $("schedule").textContent = state.schedule_fetched || "尚未取得";
  const alarms = $("alarms");
  alarms.replaceChildren(...state.alarms.map((a) => Object.assign(document.createElement("li"), { textContent: a })));
  $("pause-state").textContent = state.pause ? `暂停中：${state.pause.reason}（${state.pause.by}，${state.pause.since}）` : "";
  $("seal-state").textContent = state.seal ? `密封区段进行中：${state.seal.reason}（${state.seal.by}，${state.seal.since}）` : "";
  if (state.readiness) renderReadiness(state.readiness);
  renderStreams(state.streams);
}

async function refreshLevels() {
  if (!streams.some((s) => s.audio)) return;
  const response = await fetch("/api/levels", { credentials: "same-origin" });
  if (!response.ok) return;
  const levels = await response.json();
  for (const row of document.querySelectorAll(".mic")) {
    const level = levels[row.dataset.stream];
    const rms = level ? level.rms_dbfs : -100;
    const width = Math.max(0, Math.min(100, ((rms + 60) / 60) * 100));
    row.querySelector(".bar").style.width = `${width}%`;
    row.querySelector(".meter").setAttribute("aria-valuenow", String(rms));
    row.dataset.rms = String(rms);
    row.querySelector(".db").textContent = level ? `${level.rms_dbfs.toFixed(1)} dBFS（峰值 ${level.peak_dbfs.toFixed(1)}）` : "无信号";
  }
}

function refreshPictures() {
  pictureRound += 1;
  for (const box of document.querySelectorAll(".camera")) {
    const img = box.querySelector("img");
    const next = new Image();
    next.onload = () => { img.src = next.src; };
    next.src = `/api/picture/${encodeURIComponent(box.dataset.stream)}?n=${pictureRound}`;
  }
}

function renderReadiness(result) {
  const box = $("readiness");
  const head = document.createElement("p");
  head.className = result.ready ? "check-ok" : "check-bad";
  head.textContent = `${result.ready ? "检查通过" : "检查未通过"}${result.at ? "（" + result.at + "，" + result.by + "）" : ""}`;
  const list = document.createElement("ul");
  for (const c of result.checks) {
    const item = document.createElement("li");
    item.className = c.ok ? "check-ok" : "check-bad";
    item.textContent = `${c.ok ? "✓" : "✗"} ${ITEM_NAMES[c.item] || c.item}${c.stream ? " " + labelOf(c.stream) : ""}：${c.detail}`;
    list.append(item);
  }
  box.replaceChildren(head, list);
}

function wire() {
  const name = $("clerk-name");
  name.value = sessionStorage.getItem(NAME_KEY) || "";
  name.addEventListener("change", () => sessionStorage.setItem(NAME_KEY, name.value.trim()));
  $("start-button").addEventListener("click", async () => {
    const answer = await act("/api/start", { case_number: $("case-number").value });
    if (answer && !answer.refused) say(`录像已开始（${answer.recording_id}）`, true);
  });
  $("pause-button").addEventListener("click", async () => {
    const code = $("pause-reason").value;
    if (!code) { say("暂停录像须选择原因（休庭、不公开质证的证据、调解、其他）"); }
    const answer = await act("/api/pause", { code: code || null, text: $("pause-text").value });
    if (answer && !answer.refused) say(`录像已暂停：${PAUSE_NAMES[code]}`, true);
  });
  $("resume-button").addEventListener("click", async () => {
    const answer = await act("/api/resume", {});
    if (answer && !answer.refused) say("录像已继续", true);
  });
  const stop = async (confirm) => {
    const answer = await act("/api/stop", { confirm_early: confirm });
    if (!answer) return;
    if (answer.refused && answer.confirm) {
      $("confirm-text").textContent = answer.detail;
      $("confirm-stop").hidden = false;
      return;
    }
    $("confirm-stop").hidden = true;
    if (!answer.refused) say("录像已停止", true);
  };
  $("stop-button").addEventListener("click", () => stop(false));
  $("confirm-stop-button").addEventListener("click", () => stop(true));
  $("cancel-stop-button").addEventListener("click", () => { $("confirm-stop").hidden = true; say(""); });
  $("note-button").addEventListener("click", async () => {
    const kind = $("note-kind").value, text = $("note-text").value;
    const answer = await act("/api/note", { kind, text });
    if (answer && !answer.refused) {
      const item = document.createElement("li");
      item.textContent = `${beijingNow()} ${NOTE_NAMES[kind]}：${text}`;
      $("notes").prepend(item);
      $("note-text").value = "";
      say("已记入录像日志", true);
    }
  });
  $("seal-begin").addEventListener("click", async () => {
    const answer = await act("/api/seal/begin", { reason: $("seal-reason").value });
    if (answer && !answer.refused) say("密封区段已开始（录像继续）", true);
  });
  $("seal-end").addEventListener("click", async () => {
    const answer = await act("/api/seal/end", {});
    if (answer && !answer.refused) say("密封区段已结束", true);
  });
  $("readiness-button").addEventListener("click", async () => {
    const ticked = (cls) => [...document.querySelectorAll(`.${cls}:checked`)].map((b) => b.value);
    const answer = await act("/api/readiness", {
      cameras: ticked("confirm-camera"), microphones: ticked("confirm-microphone"),
    });
    if (answer && !answer.refused) {
      renderReadiness(answer);
      say(answer.ready ? "开庭前检查通过，已记入录像日志" : "开庭前检查未通过（已记入录像日志），请处理标红项目", answer.ready);
    }
  });
}

wire();
refreshState();
setInterval(() => { $("now").textContent = beijingNow(); }, 1000);
setInterval(refreshState, 1000);
setInterval(refreshLevels, 200);
setInterval(refreshPictures, 500);
