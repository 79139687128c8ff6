// The prediction page (事件预判): event volumes with their forecast band and surges, the event
// heat map by grid cell, public warnings and the alerts forecasts raised. Every datum reaches the
// page as text (text nodes, textContent, escaped tooltip strings); nothing becomes markup.
import { esc, fixed } from "../format.js";
import { request } from "../http.js";

const LANG_KEY = "zhicheng.lang";
const TEXT = "#e8f0fa";
const LINE = "#2a4263";
const WORDS = {
  zh: {
    brand: "事件预判", cockpit: "驾驶舱", predict: "事件预判", service: "事件类型", all: "全部类型",
    volume: "事件量:实际、预测区间与激增", heat: "网格事件热力图", warnings: "公共预警(CAP 1.2)",
    alerts: "预判告警", observed: "实际", forecast: "预测", band: "95% 区间", surge: "激增",
    none: "暂无", events: "事件数", sla: "按时办结率", repeat: "重复地点", cell: "网格",
    headline: "标题", state: "状态", sent: "发布时间", type: "类型", kind: "种类", place: "地点", message: "说明",
    foot: "事件量预测:负二项回归(按小时/星期/节假日),95% 预测区间;超出区间上限即为激增。", loading: "正在加载…",
    active: "生效中", ended: "已结束",
  },
  en: {
    brand: "Event prediction", cockpit: "Cockpit", predict: "Prediction", service: "Event type", all: "All types",
    volume: "Event volume: observed, forecast band and surges", heat: "Events by grid cell", warnings: "Public warnings (CAP 1.2)",
    alerts: "Forecast alerts", observed: "Observed", forecast: "Forecast", band: "95 % interval", surge: "Surge",
    none: "none", events: "events", sla: "closed within SLA", repeat: "repeat places", cell: "cell",
    headline: "Headline", state: "State", sent: "Sent", type: "Type", kind: "Kind", place: "Place", message: "Message",
    foot: "Volume forecast: negative-binomial regression (hour, weekday, holidays), 95 % interval; above it is a surge.",
    loading: "Loading…", active: "active", ended: "ended",
  },
};

const state = { lang: localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh", charts: [], pending: [], services: [] };
const t = (key) => WORDS[state.lang][key] ?? key;
const api = (path, params = {}) => request(state.lang, path, { params });

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else node.setAttribute(k, String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function card(id, title, span, ...body) {
  return el("section", { class: `card ${span}`, id, "aria-labelledby": `h-${id}` }, el("h2", { id: `h-${id}` }, title), ...body);
}

function chart(node, option) {
  const c = window.echarts.init(node, null, { renderer: "canvas" });
  state.charts.push(c);
  state.pending.push(new Promise((resolve) => c.on("finished", resolve)));
  c.setOption({ backgroundColor: "transparent", animation: false, textStyle: { color: TEXT }, tooltip: { confine: true }, ...option });
  return c;
}

function table(testid, head, rows) {
  const body = rows.length ? rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c ?? "")))) :
    [el("tr", {}, el("td", { colspan: head.length }, t("none")))];
  return el("table", { class: "table", "data-testid": testid }, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
    el("tbody", {}, body));
}

function volumeChart(node, data) {
  const hist = data.history;
  const ahead = data.ahead;
  const x = [...hist.map((h) => h.period), ...ahead.map((a) => a.period)];
  const lower = [...hist.map((h) => h.lower), ...ahead.map((a) => a.lower)];
  const width = [...hist.map((h) => (h.upper === null ? null : h.upper - h.lower)), ...ahead.map((a) => a.upper - a.lower)];
  const fc = [...hist.map((h) => h.forecast), ...ahead.map((a) => a.forecast)];
  const obs = [...hist.map((h) => h.count), ...ahead.map(() => null)];
  const surges = hist.map((h) => (h.surge ? h.count : null));
  chart(node, {
    legend: { top: 0, textStyle: { color: TEXT }, data: [t("observed"), t("forecast"), t("band"), t("surge")] },
    grid: { left: 48, right: 16, top: 40, bottom: 48 },
    tooltip: { trigger: "axis", formatter: (ps) => ps.map((p) => `${esc(p.seriesName)}: ${esc(p.value ?? "–")}`).join("<br>") },
    xAxis: { type: "category", data: x, axisLabel: { color: TEXT, formatter: (v) => String(v).slice(5, 16).replace("T", " ") },
      axisLine: { lineStyle: { color: LINE } } },
    yAxis: { type: "value", name: t("events"), axisLabel: { color: TEXT }, splitLine: { lineStyle: { color: LINE } } },
    series: [
      { name: "lower", type: "line", data: lower, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false } },
      { name: t("band"), type: "line", data: width, stack: "band", symbol: "none", lineStyle: { opacity: 0 },
        areaStyle: { color: "rgba(92,200,255,0.25)" } },
      { name: t("forecast"), type: "line", data: fc, symbol: "none", lineStyle: { type: "dashed", color: "#5cc8ff" } },
      { name: t("observed"), type: "line", data: obs, symbol: "none", lineStyle: { color: "#ffd166" } },
      { name: t("surge"), type: "scatter", data: surges, symbolSize: 10, itemStyle: { color: "#ff5c5c" } },
    ],
  });
}

function heatChart(node, fc) {
  const name = `grid-${state.charts.length}`;
  // ECharts names a region by properties.name and matches series data by it: the cell code is unique.
  for (const f of fc.features) f.properties.name = String(f.id);
  window.echarts.registerMap(name, fc);
  const values = fc.features.map((f) => ({ name: String(f.id), value: f.properties.events, p: f.properties }));
  const max = Math.max(1, ...values.map((v) => v.value));
  chart(node, {
    tooltip: { formatter: (p) => {
      const d = p.data?.p;
      if (!d) return esc(p.name);
      const sla = d.closed_within_sla_pct === null ? "–" : `${fixed(d.closed_within_sla_pct, 1, state.lang)}%`;
      return `${esc(d.name_zh)}<br>${esc(t("events"))}: ${esc(d.events)}<br>${esc(t("sla"))}: ${esc(sla)}` +
        `<br>${esc(t("repeat"))}: ${esc(d.repeat_locations)}`;
    } },
    visualMap: { min: 0, max, calculable: true, textStyle: { color: TEXT }, inRange: { color: ["#1d3557", "#ffd166", "#ff5c5c"] }, left: 8, bottom: 8 },
    series: [{ type: "map", map: name, roam: true, data: values, itemStyle: { borderColor: LINE, borderWidth: 0.3 },
      emphasis: { label: { show: false } } }],
  });
}

function label(w) {
  const info = w.info.find((b) => b.language.startsWith(state.lang === "en" ? "en" : "zh")) ?? w.info[0];
  return info.headline;
}

async function render() {
  document.documentElement.lang = state.lang === "en" ? "en" : "zh-CN";
  document.body.dataset.ready = "0";
  for (const c of state.charts) c.dispose();
  state.charts = [];
  state.pending = [];
  for (const [id, key] of [["brand", "brand"], ["nav-cockpit", "cockpit"], ["nav-predict", "predict"], ["service-label", "service"], ["foot", "foot"]]) {
    document.getElementById(id).textContent = t(key);
  }
  const select = document.getElementById("service-select");
  const chosen = new URLSearchParams(window.location.search).get("service") ?? "";
  const main = document.getElementById("main");
  main.replaceChildren(el("p", { class: "loading", role: "status" }, t("loading")));
  if (!state.services.length) state.services = await api("/open311/v2/services.json");
  select.replaceChildren(el("option", { value: "" }, t("all")),
    ...state.services.map((s) => el("option", { value: s.service_code }, s.service_name)));
  select.value = chosen;
  const [volumes, cells, warnings, alerts] = await Promise.all([
    api("/api/forecast/volumes", { service_code: chosen || null }),
    api("/api/grid/cells", { service_code: chosen || null }),
    api("/api/warnings"),
    api("/api/forecast/alerts"),
  ]);
  const volBox = el("div", { class: "carbon-chart", role: "img", "aria-label": t("volume"), "data-testid": "volume-chart" });
  const heatBox = el("div", { class: "carbon-chart", role: "img", "aria-label": t("heat"), "data-testid": "heat-map" });
  const surges = el("p", { class: "note", "data-testid": "surge-count" }, `${t("surge")}: ${volumes.surges.length}`);
  const grid = el("div", { class: "carbon-grid" },
    card("volume", t("volume"), "span-8", volBox, surges),
    card("heat", t("heat"), "span-4", heatBox, el("p", { class: "note", "data-testid": "cell-count" }, `${t("cell")}: ${cells.features.length}`)),
    card("warnings", t("warnings"), "span-6", table("warnings-table", [t("headline"), t("type"), t("sent"), t("state")],
      warnings.map((w) => [label(w), w.msg_type, (w.sent ?? "").slice(0, 16).replace("T", " "), w.active ? t("active") : t("ended")]))),
    card("alerts", t("alerts"), "span-6", table("alerts-table", [t("kind"), t("place"), t("message")],
      alerts.slice(0, 50).map((a) => [a.kind, a.place, a.message]))),
  );
  main.replaceChildren(el("h1", {}, t("brand")), grid);
  if (volumes.history.length) volumeChart(volBox, volumes);
  if (cells.features.length) heatChart(heatBox, cells);
  await Promise.all(state.pending);
  document.body.dataset.ready = "1";
}

document.getElementById("lang-switch").addEventListener("click", () => {
  state.lang = state.lang === "en" ? "zh" : "en";
  localStorage.setItem(LANG_KEY, state.lang);
  document.getElementById("lang-switch").textContent = state.lang === "en" ? "中文" : "EN";
  render();
});
document.getElementById("service-select").addEventListener("change", (e) => {
  const url = new URL(window.location.href);
  if (e.target.value) url.searchParams.set("service", e.target.value);
  else url.searchParams.delete("service");
  window.history.replaceState(null, "", url);
  render();
});
window.addEventListener("resize", () => state.charts.forEach((c) => c.resize()));
render().catch((err) => {
  document.getElementById("main").replaceChildren(el("p", { class: "error", role: "alert" }, String(err.message ?? err)));
  document.body.dataset.ready = "1";
});
