// The body cameras of the command centre, beside the wall's tiles: each device of the operator's
// courts with its state and alarms, the buttons 远程启动录像 / 开始直播 (the device obeys when it next
// polls the portal), the answer to the last command, and the enforcement actions under way with
// whether enough devices are recording (the coverage rule). Only when the wall is hosted by the
// portal (api/config names a portal link): it reads the portal's /api/devices and
// /api/enforcement/coverage and posts /api/devices/{id}/commands with the session's CSRF token.
"use strict";

(() => {
  const FLEET_POLL_MS = 3000;
  const STATES = { standby: "待机", recording: "正在录像", fault: "录像故障", "": "未上报" };
  const COMMANDS = { activate: "远程启动录像", deactivate: "远程停止录像", go_live: "开始直播", stop_live: "停止直播" };
  const BUTTONS = ["activate", "go_live"];
  const panel = document.getElementById("fleet");
  let csrf = null;

  function el(tag, className, value) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (value !== undefined) element.textContent = value;
    return element;
  }

  function answerOf(command) {
    if (!command) return "";
    const name = COMMANDS[command.action] || command.action;
    if (command.result === "done") return `${name}：已执行${command.detail ? "（" + command.detail + "）" : ""}`;
    if (command.result === "refused") return `${name}：设备拒绝${command.detail ? "（" + command.detail + "）" : ""}`;
    return `${name}：等待设备执行`;
  }

  async function send(deviceId, action, status) {
    status.textContent = `${COMMANDS[action]}：正在发送…`;
    const response = await fetch(`/api/devices/${encodeURIComponent(deviceId)}/commands`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" },
      body: JSON.stringify({ action }),
    });
    status.textContent = response.ok ? `${COMMANDS[action]}：等待设备执行` : `${COMMANDS[action]}：发送失败（${response.status}）`;
  }

  function deviceItem(device) {
    const item = el("li", device.alarms.length ? "device alarmed" : "device");
    item.dataset.device = device.device_id;
    const title = el("div", "title", `${device.device_id}${device.officer ? " · " + device.officer : ""}`);
    const state = el("span", `state state-${device.recording || "none"}`, STATES[device.recording] || device.recording);
    const status = el("div", "command-status", answerOf(device.last_command));
    status.setAttribute("aria-live", "polite");
    const buttons = el("div", "buttons");
    for (const action of BUTTONS) {
      const button = el("button", "", COMMANDS[action]);
      button.type = "button";
      button.addEventListener("click", () => send(device.device_id, action, status).catch(() => {
        status.textContent = `${COMMANDS[action]}：发送失败`;
      }));
      buttons.append(button);
    }
    item.append(title, state);
    if (device.alarms.length) item.append(el("div", "alarms", device.alarms.join("；")));
    item.append(buttons, status);
    return item;
  }

  function actionItem(action) {
    const ok = action.covered_throughout;
    const words = ok
      ? `${action.kind}（${action.case_number}）：${action.recording_now} 台在录像，符合要求`
      : `告警：${action.kind}（${action.case_number}）须至少 ${action.required_recorders} 台全程录像，当前 ${action.recording_now} 台`;
    const item = el("li", ok ? "coverage ok" : "coverage alarmed", words);
    item.dataset.action = String(action.id);
    return item;
  }

  function sameAnswers(list, devices) {
    // keep the buttons in place while the operator may be clicking: rebuild only what changed
    return list.dataset.snapshot === JSON.stringify(devices);
  }

  async function poll() {
    try {
      const [devices, actions] = await Promise.all(
        ["/api/devices", "/api/enforcement/coverage"].map(async (url) => {
          const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
          return response.ok ? response.json() : [];
        }),
      );
      const list = panel.querySelector("ul.devices");
      if (!sameAnswers(list, devices)) {
        list.replaceChildren(...devices.map(deviceItem));
        list.dataset.snapshot = JSON.stringify(devices);
      }
      panel.querySelector("ul.actions").replaceChildren(...actions.map(actionItem));
      panel.classList.toggle("hidden", devices.length === 0 && actions.length === 0);
    } catch (error) { /* the next poll tries again */ }
  }

  async function start() {
    if (!panel) return;
    try {
      const response = await fetch("api/config", { credentials: "same-origin" });
      if (!response.ok) return;
      const config = await response.json();
      if (!config.links || !config.links.portal) return; // a standalone live server has no fleet
      csrf = config.links.signOutToken;
    } catch (error) {
      return;
    }
    panel.append(el("h2", "", "执法记录仪"), el("ul", "actions"), el("ul", "devices"));
    await poll();
    setInterval(poll, FLEET_POLL_MS);
  }

  start();
})();
