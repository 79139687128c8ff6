// The carbon page (碳排放): one unit's stacked sectors, fuel mix, peaking verdict, LMDI waterfall
// and trajectory against the target path. Data reach the page as text only (text nodes and
// escaped tooltip strings); nothing from the server becomes markup.
import { esc, fixed, trimmed } from "../format.js";
import { ApiError, request } from "../http.js";
import { translate } from "./i18n.js";

const LANG_KEY = "zhicheng.lang";
const UNIT_KEY = "zhicheng.carbon.unit";
const DEFAULT_UNIT = "110000";
const TEXT = "#e8f0fa";
const MUTED = "#a9bdd6";
const LINE = "#2a4263";
const PALETTE = ["#5cc8ff", "#ffd166", "#7bd88f", "#ff8c69", "#c39bff", "#9aa5b1", "#f6a6d0", "#66e0c2"];

const state = { lang: localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh", units: [], charts: [], pending: [] };
const t = (key, vars) => translate(state.lang, key, vars);
const api = (path, params = {}) => request(state.lang, path, { params });

/** An element with attributes and children (strings become text nodes, never markup). */
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

function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return t("none");
  return trimmed(value, digits, state.lang);
}

function pct(share, digits = 1) {
  return share === null || share === undefined ? t("none") : `${fixed(share * 100, digits, state.lang)}%`;
}

function card(id, title, span, ...body) {
  return el("section", { class: `card ${span}`, id, "aria-labelledby": `h-${id}` }, el("h2", { id: `h-${id}` }, title), ...body);
}

function chartBox(id, label) {
  return el("div", { class: "carbon-chart", id, role: "img", "aria-label": label, "data-testid": id });
}

function chart(node, option) {
  const c = window.echarts.init(node, null, { renderer: "canvas" });
  state.charts.push(c);
  state.pending.push(new Promise((resolve) => c.on("finished", resolve)));
  c.setOption({ backgroundColor: "transparent", animation: false, textStyle: { color: TEXT }, color: PALETTE,
    tooltip: { confine: true }, ...option });
  return c;
}

function dispose() {
  for (const c of state.charts) c.dispose();
  state.charts = [];
  state.pending = [];
}

// Tooltips: names and numbers escaped, lines joined with <br> (no inline styles: strict CSP).
function axisTip(unit) {
  return (params) => {
    const list = Array.isArray(params) ? params : [params];
    const head = list.length ? esc(list[0].axisValueLabel ?? list[0].name) : "";
    const lines = list.filter((p) => p.value !== null && p.value !== undefined && p.value !== "-")
      .map((p) => `${esc(p.seriesName)}: ${esc(fmt(Array.isArray(p.value) ? p.value[1] : p.value, 3))} ${esc(unit)}`);
    return [head, ...lines].join("<br>");
  };
}

const axisStyle = { axisLine: { lineStyle: { color: LINE } }, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } };

function sectorsChart(node, data) {
  const stacked = data.groups ?? [{ id: "total", name: t("totals"), values: data.totals.scope1 }];
  chart(node, {
    legend: { bottom: 0, textStyle: { color: MUTED }, type: "scroll" },
    grid: { left: 56, right: 16, top: 24, bottom: 56 },
    tooltip: { trigger: "axis", formatter: axisTip(t("mt")) },
    xAxis: { type: "category", data: data.years.map(String), ...axisStyle },
    yAxis: { type: "value", name: t("mt"), nameTextStyle: { color: MUTED }, ...axisStyle },
    series: stacked.map((g) => ({ name: g.name, type: data.groups ? "bar" : "line", stack: data.groups ? "co2" : undefined,
      data: g.values.map((v) => (v === null ? 0 : v)), emphasis: { focus: "series" } })),
  });
}

function fuelChart(node, mix) {
  chart(node, {
    legend: { bottom: 0, textStyle: { color: MUTED }, type: "scroll" },
    tooltip: { trigger: "item", formatter: (p) => `${esc(p.name)}: ${esc(fmt(p.value, 3))} ${esc(t("mt"))} (${esc(pct(p.percent / 100))})` },
    series: [{ type: "pie", radius: ["38%", "68%"], center: ["50%", "45%"], label: { color: TEXT, formatter: (p) => `${p.name}\n${pct(p.percent / 100)}` },
      data: mix.items.filter((i) => i.value > 0).map((i) => ({ name: i.name, value: i.value })) }],
  });
}

function waterfallChart(node, dec) {
  const names = [t("start", { year: dec.year_from }), ...dec.effects.map((e) => e.name), t("end", { year: dec.year_to })];
  const base = [];
  const up = [];
  const down = [];
  let level = dec.value_from;
  base.push(0); up.push(dec.value_from); down.push("-");
  for (const e of dec.effects) {
    const next = level + e.value;
    base.push(Math.min(level, next));
    up.push(e.value >= 0 ? e.value : "-");
    down.push(e.value < 0 ? -e.value : "-");
    level = next;
  }
  base.push(0); up.push(dec.value_to); down.push("-");
  const values = [dec.value_from, ...dec.effects.map((e) => e.value), dec.value_to];
  // The axis starts just below the lowest level reached, so that small effects stay visible.
  let low = Math.min(dec.value_from, dec.value_to);
  let run = dec.value_from;
  for (const e of dec.effects) { run += e.value; low = Math.min(low, run); }
  const floor = low > 0 ? Math.floor((low * 0.85) / 10) * 10 : undefined;
  const label = { show: true, position: "top", color: TEXT, formatter: (p) => (p.value === "-" ? "" : fmt(values[p.dataIndex], 1)) };
  const narrow = node.clientWidth < 600;
  chart(node, {
    grid: { left: 64, right: 16, top: 24, bottom: narrow ? 110 : 72 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
      formatter: (params) => { const i = params[0].dataIndex; return `${esc(names[i])}: ${esc(fmt(values[i], 3))} ${esc(t("mt"))}`; } },
    xAxis: { type: "category", data: names, ...axisStyle,
      axisLabel: { color: MUTED, interval: 0, rotate: narrow ? 60 : 20, width: narrow ? 90 : 140, overflow: "truncate" } },
    yAxis: { type: "value", name: t("mt"), min: floor, nameTextStyle: { color: MUTED }, ...axisStyle },
    series: [
      { type: "bar", stack: "w", data: base, itemStyle: { color: "transparent" }, emphasis: { disabled: true }, tooltip: { show: false } },
      { name: "+", type: "bar", stack: "w", data: up, itemStyle: { color: "#ff8c69" }, label },
      { name: "−", type: "bar", stack: "w", data: down, itemStyle: { color: "#7bd88f" }, label },
    ],
  });
}

function trajectoryChart(node, data, target) {
  const years = data.years.map(String);
  const path = years.map((y) => target?.path?.[y] ?? null);
  chart(node, {
    legend: { bottom: 0, textStyle: { color: MUTED }, type: "scroll" },
    grid: { left: 64, right: 16, top: 24, bottom: 64 },
    tooltip: { trigger: "axis", formatter: axisTip(t("t10k")) },
    xAxis: { type: "category", data: years, ...axisStyle },
    yAxis: { type: "value", name: t("t10k"), nameTextStyle: { color: MUTED }, ...axisStyle },
    series: [
      { name: t("actual"), type: "line", data: data.intensity.per_gdp_t_per_10k_cny, connectNulls: false },
      { name: `${t("path")}: ${target?.name ?? ""}`, type: "line", data: path, lineStyle: { type: "dashed" }, connectNulls: false },
    ],
  });
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function yearSelect(id, years, value) {
  const s = el("select", { id, name: id });
  for (const y of years) s.append(el("option", { value: y }, String(y)));
  s.value = String(value);
  return s;
}

async function renderUnit(main, code, range = {}) {
  const data = await api(`/api/carbon/units/${encodeURIComponent(code)}`, range);
  dispose();
  const u = data.unit;
  const head = el("section", { class: "card span-12", id: "carbon-head" },
    el("h1", {}, t("title", { name: u.name })),
    el("p", { class: "muted" }, `${u.code} · ${u.dataset === "ceads-province" ? t("province") : t("city")} · ${data.years[0]}–${data.years[data.years.length - 1]}`));
  const sectors = card("sectors", data.groups ? t("sectors") : t("totals"), "span-8", chartBox("sectors-chart", t("sectors")));
  const fuel = data.fuel_mix
    ? card("fuel", t("fuelMix", { year: data.fuel_mix.year }), "span-4", chartBox("fuel-chart", t("fuelMix", { year: data.fuel_mix.year })))
    : card("fuel", t("perCapita"), "span-4", facts([
      [t("perCapita"), `${fmt(data.intensity.per_capita_t.at(-1))} t`],
      [t("perGdp"), `${fmt(data.intensity.per_gdp_t_per_10k_cny.at(-1), 3)} ${t("t10k")}`]]));
  const p = data.peak;
  const peak = card("peak", t("peak"), "span-4",
    el("p", { class: `verdict ${p.status}`, "data-testid": "verdict" }, p.name),
    facts([[t("peakYear"), String(p.peak_year)], [t("peakValue"), `${fmt(p.peak_value)} ${t("mt")}`],
      [t("lastYear"), String(p.last_year)], [t("lastValue"), `${fmt(p.last_value)} ${t("mt")}`],
      [t("since"), String(p.years_since_peak)], [t("drop"), pct(p.drop_from_peak)], [t("trend"), pct(p.trend)]]),
    el("p", { class: "note" }, `${t("rule")}: ${p.rule}`));
  const dec = data.decomposition;
  const from = yearSelect("lmdi-from", data.years, dec.year_from);
  const to = yearSelect("lmdi-to", data.years, dec.year_to);
  const onRange = () => render({ from: from.value, to: to.value });
  from.addEventListener("change", onRange);
  to.addEventListener("change", onRange);
  const pickers = el("div", { class: "pickers" }, el("label", { for: "lmdi-from" }, t("from")), from, el("label", { for: "lmdi-to" }, t("to")), to,
    dec.error ? null : el("span", { class: "muted", "data-testid": "lmdi-change" }, `${t("change")}: ${fmt(dec.change, 3)} ${t("mt")}`));
  const lmdi = card("lmdi", t("lmdi"), "span-8", pickers,
    dec.error ? el("p", { class: "muted" }, dec.error) : chartBox("lmdi-chart", t("lmdi")));
  const targets = data.targets.filter((x) => Object.keys(x.path).length > 0);
  const select = el("select", { id: "target-select", name: "target" });
  for (const x of targets) select.append(el("option", { value: x.id }, x.name));
  const chosen = targets.find((x) => x.id === "cn_13fyp") ?? targets[0];
  if (chosen) select.value = chosen.id;
  const summary = el("div", { "data-testid": "target-summary" });
  const traj = card("trajectory", t("trajectory"), "span-6", el("div", { class: "pickers" }, el("label", { for: "target-select" }, t("target")), select),
    chartBox("trajectory-chart", t("trajectory")), summary);
  const describe = (x) => {
    summary.replaceChildren(facts([
      [t("gap"), x?.gap_share === null || x?.gap_share === undefined ? t("none") : `${pct(x.gap_share)} (${x.latest_year}; ${x.on_track ? t("onTrack") : t("offTrack")})`],
      [t("needed"), x?.years_needed === null || x?.years_needed === undefined ? t("none") : `${fmt(x.years_needed, 1)} ${t("years")}`],
    ]), el("p", { class: "note" }, x ? `${x.source}${x.note ? ` · ${x.note}` : ""}` : ""));
  };
  const crossRows = data.crosscheck.map((c) => el("li", {}, `${c.year}: ${fmt(c.city_mt)} vs ${fmt(c.province_mt)} ${t("mt")} (${pct(c.relative)}) — ${c.agrees ? t("agrees") : t("disagrees")}`));
  const checks = card("checks", t("checks"), "span-6",
    crossRows.length ? el("div", {}, el("h3", {}, t("cross")), el("ul", { "data-testid": "crosscheck" }, crossRows.slice(-6))) : null,
    el("h3", {}, t("notes")), el("ul", {}, data.notes.map((n) => el("li", { class: "note" }, n))),
    el("h3", {}, t("provenance")), el("ul", { "data-testid": "provenance" }, (data.provenance ?? []).map((p) =>
      el("li", { class: "note" }, `${p.citation} · ${p.source} · sha256 ${String(p.checksum).slice(0, 12)}… · ${p.ingested_at ?? ""}`))));
  const grid = el("div", { class: "carbon-grid" }, head, sectors, fuel, peak, lmdi, traj, checks);
  main.replaceChildren(grid);
  sectorsChart(document.getElementById("sectors-chart"), data);
  if (data.fuel_mix) fuelChart(document.getElementById("fuel-chart"), data.fuel_mix);
  if (!dec.error) waterfallChart(document.getElementById("lmdi-chart"), dec);
  const trajNode = document.getElementById("trajectory-chart");
  trajectoryChart(trajNode, data, chosen);
  describe(chosen);
  select.addEventListener("change", () => {
    const x = targets.find((y) => y.id === select.value);
    const old = state.charts.find((c) => c.getDom() === trajNode);
    if (old) { old.dispose(); state.charts = state.charts.filter((c) => c !== old); }
    trajectoryChart(trajNode, data, x);
    describe(x);
  });
}

function applyStaticText() {
  document.documentElement.lang = state.lang === "en" ? "en" : "zh-CN";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-aria]")) node.setAttribute("aria-label", t(node.dataset.i18nAria));
  const button = document.getElementById("lang-switch");
  button.textContent = t("otherLang");
  button.setAttribute("aria-label", t("switchTo"));
  document.title = `${t("brand")} · zhicheng 智城`;
}

function currentCode() {
  const m = window.location.pathname.match(/^\/carbon\/([^/]+)$/);
  return m ? decodeURIComponent(m[1]) : localStorage.getItem(UNIT_KEY) ?? DEFAULT_UNIT;
}

async function render(range = {}) {
  document.body.dataset.ready = "0";
  applyStaticText();
  const main = document.getElementById("main");
  try {
    state.units = await api("/api/carbon/units");
    const unitSelect = document.getElementById("unit-select");
    unitSelect.replaceChildren(...state.units.map((u) => el("option", { value: u.code }, `${u.name}${u.status_name ? ` · ${u.status_name}` : ""}`)));
    if (!state.units.length) {
      main.replaceChildren(el("p", { class: "empty" }, t("noUnits")));
    } else {
      let code = currentCode();
      if (!state.units.some((u) => u.code === code)) code = state.units[0].code;
      unitSelect.value = code;
      await renderUnit(main, code, range);
      await Promise.all(state.pending);
    }
  } catch (err) {
    dispose();
    const what = err instanceof ApiError && err.status === 404 && String(err.message).includes("no CO2 inventories") ? t("noUnits") : t("failed", { what: err.message });
    main.replaceChildren(el("section", { class: "error", role: "alert" }, el("p", {}, what)));
  }
  document.body.dataset.ready = "1";
}

function setup() {
  document.getElementById("controls").addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("lang-switch").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "zh" : "en";
    localStorage.setItem(LANG_KEY, state.lang);
    render();
  });
  document.getElementById("unit-select").addEventListener("change", (e) => {
    localStorage.setItem(UNIT_KEY, e.target.value);
    window.history.pushState({}, "", `/carbon/${encodeURIComponent(e.target.value)}`);
    render();
  });
  window.addEventListener("popstate", () => render());
  window.addEventListener("resize", () => { for (const c of state.charts) c.resize(); });
  render();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
else setup();
