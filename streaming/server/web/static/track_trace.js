// A GPS trace drawn locally as SVG over a plain grid (no map tiles, nothing fetched from the internet).
// drawTrackTrace(svg, points, options): points are [lat, lon] pairs, oldest first; options.current is
// the index of the point to mark as "now" (default: the last). Shared by the wall and the review player.
"use strict";

const TRACE_NS = "http://www.w3.org/2000/svg";
const TRACE_WIDTH = 240;
const TRACE_HEIGHT = 180;
const TRACE_GRID = 6; // grid cells across the shorter side
const METRES_PER_DEGREE = 111320;
// presentation attributes, not CSS: the drawing looks the same on every page that includes it
const TRACE_LOOK = {
  "trace-bg": { fill: "#0a141c", "fill-opacity": 0.85 },
  "trace-grid": { stroke: "#3a4a55", "stroke-width": 0.6 },
  "trace-path": { fill: "none", stroke: "#ffcc33", "stroke-width": 2.2, "stroke-linejoin": "round", "stroke-linecap": "round" },
  "trace-start": { fill: "#7ee07e" },
  "trace-now": { fill: "#ff5050", stroke: "#fff", "stroke-width": 1.5 },
  "trace-scale": { fill: "#ddd", "font-size": 11 },
};

function traceElement(tag, attributes) {
  const element = document.createElementNS(TRACE_NS, tag);
  const look = TRACE_LOOK[attributes.class] || {};
  for (const [name, value] of Object.entries({ ...look, ...attributes })) element.setAttribute(name, String(value));
  return element;
}

// A "nice" grid step in metres (1, 2 or 5 times a power of ten) for a span of `metres`.
function traceStep(metres) {
  const raw = Math.max(metres, 10) / TRACE_GRID;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

function drawTrackTrace(svg, points, options = {}) {
  svg.setAttribute("viewBox", `0 0 ${TRACE_WIDTH} ${TRACE_HEIGHT}`);
  svg.setAttribute("role", "img");
  svg.dataset.points = String(points.length);
  const children = [traceElement("rect", { class: "trace-bg", x: 0, y: 0, width: TRACE_WIDTH, height: TRACE_HEIGHT })];
  if (!points.length) {
    svg.setAttribute("aria-label", "暂无轨迹");
    svg.replaceChildren(...children);
    return;
  }
  // local metres east/north of the first point (equirectangular: exact enough over a few km)
  const [lat0, lon0] = points[0];
  const east = Math.cos((lat0 * Math.PI) / 180) * METRES_PER_DEGREE;
  const xy = points.map(([lat, lon]) => [(lon - lon0) * east, (lat - lat0) * METRES_PER_DEGREE]);
  const xs = xy.map((p) => p[0]);
  const ys = xy.map((p) => p[1]);
  const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 20);
  const step = traceStep(span * 1.2);
  const scale = (Math.min(TRACE_WIDTH, TRACE_HEIGHT) - 24) / (span * 1.2);
  const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
  const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
  const toScreen = ([x, y]) => [TRACE_WIDTH / 2 + (x - cx) * scale, TRACE_HEIGHT / 2 - (y - cy) * scale];
  const pixels = step * scale;
  const offsetX = (TRACE_WIDTH / 2 - cx * scale) % pixels;
  const offsetY = (TRACE_HEIGHT / 2 + cy * scale) % pixels;
  for (let x = offsetX; x < TRACE_WIDTH; x += pixels) {
    children.push(traceElement("line", { class: "trace-grid", x1: x, y1: 0, x2: x, y2: TRACE_HEIGHT }));
  }
  for (let y = offsetY; y < TRACE_HEIGHT; y += pixels) {
    children.push(traceElement("line", { class: "trace-grid", x1: 0, y1: y, x2: TRACE_WIDTH, y2: y }));
  }
  const screen = xy.map(toScreen);
  children.push(traceElement("polyline", {
    class: "trace-path", points: screen.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" "),
  }));
  const current = Math.min(options.current === undefined ? screen.length - 1 : options.current, screen.length - 1);
  children.push(traceElement("circle", { class: "trace-start", cx: screen[0][0], cy: screen[0][1], r: 3.5 }));
  children.push(traceElement("circle", { class: "trace-now", cx: screen[current][0], cy: screen[current][1], r: 5 }));
  const label = traceElement("text", { class: "trace-scale", x: 6, y: TRACE_HEIGHT - 6 });
  label.textContent = `网格 ${step >= 1000 ? `${step / 1000} 公里` : `${step} 米`} · 北向上`;
  children.push(label);
  svg.setAttribute("aria-label", `轨迹 ${points.length} 个定位点`);
  svg.replaceChildren(...children);
}
