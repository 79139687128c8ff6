// Apache ECharts wrappers for the cockpit: radar, bars, map, line. Each chart is registered so that
// the page knows when all charts have rendered (body[data-ready]) and can dispose them on leaving.
// Values are rounded by format.js before they are drawn, so labels match the tables beside them;
// a value that is missing is drawn as "no data" (never as 0) and a chart with nothing to draw
// says so (noData).
import { esc, fixed, score, scoreValue } from "./format.js";
import { escapeHtml } from "./dom.js";

const TEXT = "#e8f0fa";
const MUTED = "#a9bdd6";
const LINE = "#2a4263";
const ACCENT = "#5cc8ff";
const ACCENT2 = "#ffd166";
// A sequential, colour-blind-safe ramp (cividis-like) for choropleths.
const ZOOM_ITEMS = 20;
const RAMP = ["#00204d", "#31446b", "#666970", "#958f78", "#cbba69", "#ffea46"];

const live = new Set();
let pending = [];

function base() {
  return {
    backgroundColor: "transparent",
    animation: false,
    textStyle: { color: TEXT, fontFamily: "inherit" },
    tooltip: { confine: true },
  };
}

function make(el, option, label) {
  el.setAttribute("role", "img");
  if (label) el.setAttribute("aria-label", label);
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  live.add(chart);
  pending.push(new Promise((resolve) => chart.on("finished", resolve)));
  chart.setOption({ ...base(), ...option });
  return chart;
}

/** Resolves when every chart of the page made so far has finished rendering (its first frame). */
export function allRendered() {
  return Promise.all(pending);
}

export function disposeAll() {
  for (const chart of live) chart.dispose();
  live.clear();
  pending = [];
}

export function resizeAll() {
  for (const chart of live) chart.resize();
}

/** Show that a chart has nothing to draw (``text``: "暂无数据" in the page's language). */
export function noData(el, text) {
  el.removeAttribute("role");
  el.classList.add("no-data");
  el.innerHTML = `<p class="muted" data-testid="no-data">${esc(text)}</p>`;
}

/**
 * A radar of scores. Axes the first series (the unit) has no score on are left out of the polygon
 * and named in ``noDataEl`` ("暂无数据：…"), the same on every page; a dip to 0 would read as a
 * score of 0.
 */
export function radar(el, { axes, series, label, onAxis, noDataText, noDataEl }) {
  const keep = axes.map((_, k) => series[0].values[k] !== null && series[0].values[k] !== undefined);
  const kept = axes.filter((_, k) => keep[k]);
  const dropped = axes.filter((_, k) => !keep[k]);
  if (noDataEl) {
    noDataEl.textContent = dropped.length ? `${noDataText}：${dropped.map((a) => a.name).join("、")}` : "";
  }
  if (kept.length < 3) {
    noData(el, noDataText);
    return null;
  }
  const shown = kept.map((a) => a.name);
  series = series.map((s) => ({ ...s, values: s.values.filter((_, k) => keep[k]) }));
  axes = kept;
  const chart = make(el, {
    legend: { bottom: 0, textStyle: { color: MUTED } },
    tooltip: { trigger: "item" },
    radar: {
      indicator: shown.map((name) => ({ name, max: 100 })),
      radius: "62%",
      triggerEvent: true,
      axisName: { color: TEXT, fontSize: 13 },
      splitLine: { lineStyle: { color: LINE } },
      splitArea: { show: false },
      axisLine: { lineStyle: { color: LINE } },
    },
    series: [{
      type: "radar",
      data: series.map((s, i) => ({
        name: s.name,
        value: s.values.map((v) => (v === null || v === undefined ? "-" : scoreValue(v))),
        lineStyle: { color: i === 0 ? ACCENT : ACCENT2, width: i === 0 ? 3 : 1.5, type: i === 0 ? "solid" : "dashed" },
        itemStyle: { color: i === 0 ? ACCENT : ACCENT2 },
        areaStyle: i === 0 ? { color: "rgba(92,200,255,0.25)" } : undefined,
      })),
    }],
  }, label);
  if (onAxis) {
    chart.on("click", (p) => {
      if (p.componentType === "radar" && p.name !== undefined) {
        const hit = axes[shown.indexOf(p.name)];
        if (hit) onAxis(hit);
      }
    });
  }
  return chart;
}

/**
 * Bars of scores (rounded as the tables show them). Items without a value keep their place and
 * are labelled ``noDataText``; a list with no value at all shows the "no data" state instead.
 */
export function bars(el, { items, label, targetName, markLine, onBar, horizontal = true, max = 100, noDataText = "—" }) {
  if (!items.some((i) => i.value !== null && i.value !== undefined)) {
    noData(el, noDataText);
    return null;
  }
  const names = items.map((i) => i.name);
  const valueAxis = { type: "value", max, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } };
  const catAxis = { type: "category", data: names, inverse: horizontal, axisLabel: { color: TEXT, width: 140, overflow: "truncate" } };
  const series = [{
    type: "bar",
    name: label,
    data: items.map((i) => (i.value === null || i.value === undefined
      ? { value: 0, missing: true, itemStyle: { color: "transparent" },
        label: { show: true, color: MUTED, formatter: noDataText } }
      : scoreValue(i.value))),
    itemStyle: { color: ACCENT },
    barMaxWidth: 26,
    label: { show: true, position: horizontal ? "right" : "top", color: TEXT, formatter: (p) => score(p.value) },
    markLine: markLine ? {
      symbol: "none", silent: true, lineStyle: { color: ACCENT2, type: "dashed" },
      label: { color: ACCENT2, formatter: markLine.label },
      data: [horizontal ? { xAxis: markLine.value } : { yAxis: markLine.value }],
    } : undefined,
  }];
  if (items.some((i) => i.target !== null && i.target !== undefined)) {
    series.push({
      type: "scatter", name: targetName, symbol: "diamond", symbolSize: 14, itemStyle: { color: ACCENT2 },
      data: items.map((i) => (i.target === null || i.target === undefined ? "-" : i.target)),
    });
  }
  // Long lists (hundreds of units) scroll: the first ZOOM_ITEMS are shown, a slider moves the window.
  const zoom = items.length > ZOOM_ITEMS
    ? [{ type: "slider", [horizontal ? "yAxisIndex" : "xAxisIndex"]: 0, startValue: 0, endValue: ZOOM_ITEMS - 1,
      width: horizontal ? 14 : undefined, right: horizontal ? 4 : undefined, textStyle: { color: MUTED } },
    { type: "inside", [horizontal ? "yAxisIndex" : "xAxisIndex"]: 0, zoomOnMouseWheel: false, moveOnMouseWheel: true }]
    : undefined;
  const chart = make(el, {
    grid: { left: horizontal ? 150 : 50, right: zoom ? 70 : 50, top: 20, bottom: horizontal ? 20 : 60 },
    tooltip: {
      trigger: "axis",
      formatter: (ps) => ps.map((p) => `${esc(p.name)}<br>${esc(p.seriesName)}: ${p.data?.missing ? esc(noDataText) : score(p.value)}`).join("<br>"),
    },
    dataZoom: zoom,
    xAxis: horizontal ? valueAxis : { ...catAxis, inverse: false, axisLabel: { color: TEXT, rotate: 30 } },
    yAxis: horizontal ? catAxis : valueAxis,
    series,
  }, label);
  if (onBar) chart.on("click", (p) => onBar(items[p.dataIndex]));
  return chart;
}

const NO_DATA = "#3b4656";

const BASE_LAND = "#1b2a3d";
const BASE_BORDER = "#4b6584";
const MARITIME = "#7fa7d1";

/** The national base map (GeoJSON from ``/api/cockpit/basemap``), or null when the server has none. */
let basemapLoad = null;

export function loadBasemap() {
  basemapLoad ??= fetch("/api/cockpit/basemap", { headers: { Accept: "application/geo+json" } })
    .then((response) => (response.ok ? response.json() : null))
    .catch(() => null);
  return basemapLoad;
}

/** One map of the base map's features (provinces, inset, maritime line, inset frame) and the units on top. */
export function onBasemap(basemap, units) {
  if (!basemap) return units;
  return { type: "FeatureCollection", features: [...basemap.features, ...units.features] };
}

/** Styles of the base map's regions: land, the maritime boundary line and the inset's frame. */
function baseRegions(basemap) {
  if (!basemap) return [];
  return basemap.features.map((f) => {
    const kind = f.properties.kind;
    const line = kind === "maritime" || kind === "frame";
    return {
      name: f.properties.code, silent: true,
      itemStyle: line
        ? { borderColor: kind === "maritime" ? MARITIME : BASE_BORDER, borderWidth: kind === "maritime" ? 1.6 : 1, areaColor: "transparent" }
        : { areaColor: BASE_LAND, borderColor: BASE_BORDER, borderWidth: 0.6 },
      emphasis: { disabled: true }, select: { disabled: true }, tooltip: { show: !line },
    };
  });
}

export function choropleth(el, { mapName, geojson, data, names, units, label, seriesName, onUnit, selected, noDataText, stations }) {
  if (!window.echarts.getMap(mapName)) window.echarts.registerMap(mapName, geojson);
  const base = geojson.features.filter((f) => f.properties.kind);
  const baseNames = Object.fromEntries(base.map((f) => [f.properties.code, f.properties.name]));
  const chart = make(el, {
    tooltip: {
      trigger: "item",
      formatter: (p) => (p.seriesType === "scatter"
        ? `${esc(p.name)}<br>AQI ${esc(p.value[2] ?? "—")}`
        : baseNames[p.name] !== undefined ? esc(baseNames[p.name])
          : `${esc(names[p.name] ?? p.name)}<br>${esc(seriesName)}: ${typeof p.value === "number" && !Number.isNaN(p.value) ? score(p.value) : esc(noDataText ?? "—")}`),
    },
    visualMap: {
      min: 0, max: 100, calculable: true, left: 10, bottom: 10, orient: "vertical", seriesIndex: 0,
      inRange: { color: RAMP }, textStyle: { color: TEXT },
    },
    geo: {
      map: mapName, nameProperty: "code", roam: true,
      itemStyle: { borderColor: "#0b1420", borderWidth: 0.8, areaColor: "#24374f" },
      emphasis: { label: { show: false }, itemStyle: { areaColor: ACCENT2 } },
      regions: [...baseRegions({ features: base }),
        ...(selected ? [{ name: selected, itemStyle: { borderColor: ACCENT2, borderWidth: 2.5 } }] : [])],
    },
    series: [{
      type: "map", geoIndex: 0, name: seriesName,
      // Units without a score are drawn in a neutral grey, never in a colour of the scale.
      data: [...data.map((d) => (d.value === null
        ? { name: d.code, value: NaN, itemStyle: { areaColor: NO_DATA } }
        : { name: d.code, value: scoreValue(d.value) })),
      // The base map's land and lines in their own colours, outside the scale (property ``base``).
      ...base.map((f) => ({ name: f.properties.code, value: NaN, base: true, ...baseRegions({ features: [f] })[0] }))],
    }, ...[stationSeries(stations)].filter(Boolean)],
  }, label);
  const clickable = units ?? new Set(data.map((d) => d.code));
  if (onUnit) chart.on("click", (p) => p.seriesType === "map" && clickable.has(p.name) && onUnit(p.name));
  return chart;
}

/** The stations that have a position, as the map's scatter series (dots in their AQI colours). */
function stationSeries(stations) {
  const located = (stations ?? []).filter((s) => s.lon !== null && s.lon !== undefined && s.lat !== null && s.lat !== undefined);
  if (located.length === 0) return null;
  return {
    type: "scatter", coordinateSystem: "geo", geoIndex: 0, name: "AQI", symbolSize: 12, zlevel: 1,
    itemStyle: { borderColor: "#000", borderWidth: 1 },
    data: located.map((s) => ({ name: s.name, value: [s.lon, s.lat, s.aqi], itemStyle: { color: s.colour ?? "#888" } })),
  };
}

/**
 * Stations on a choropleth made by :func:`choropleth`, when they came after it was drawn (this
 * redraws the whole map: stations known in time are given to :func:`choropleth` instead).
 */
export function addStations(chart, stations) {
  const series = stationSeries(stations);
  if (!chart || chart.isDisposed() || !series) return;
  chart.setOption({ series: [{}, series] });
}

/** A line over periods; ``format`` turns a value into the text the table shows (tooltips use it). */
export function line(el, { x, y, name, label, target, format = score, noDataText = "—", series: more = [] }) {
  if (!y.some((v) => v !== null && v !== undefined) && more.length === 0) {
    noData(el, noDataText);
    return null;
  }
  const extra = more.map((s) => ({
    type: "line", name: s.name, data: s.data, yAxisIndex: s.yAxisIndex ?? 0, symbolSize: 6,
    lineStyle: { color: ACCENT2, width: 2, type: "dashed" }, itemStyle: { color: ACCENT2 }, connectNulls: false,
  }));
  return make(el, {
    grid: { left: 70, right: more.some((s) => s.yAxisIndex) ? 60 : 30, top: 30, bottom: more.length ? 60 : 40 },
    legend: more.length ? { bottom: 0, textStyle: { color: MUTED } } : undefined,
    tooltip: {
      trigger: "axis",
      formatter: (ps) => [esc(ps[0]?.name ?? ""), ...ps.map((p) => `${esc(p.seriesName)}: ${esc((more[p.seriesIndex - 1]?.format ?? format)(p.value))}`)].join("<br>"),
    },
    xAxis: { type: "category", data: x, axisLabel: { color: MUTED } },
    yAxis: [
      { type: "value", scale: true, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
      ...(more.some((s) => s.yAxisIndex) ? [{ type: "value", min: 0, max: 100, axisLabel: { color: MUTED }, splitLine: { show: false } }] : []),
    ],
    series: [{
      type: "line", name, data: y.map((v) => (v === null || v === undefined ? "-" : v)), symbolSize: 8,
      lineStyle: { color: ACCENT, width: 3 }, itemStyle: { color: ACCENT },
      markLine: target === null || target === undefined ? undefined : {
        symbol: "none", lineStyle: { color: ACCENT2, type: "dashed" }, label: { color: ACCENT2, formatter: () => format(target) }, data: [{ yAxis: target }],
      },
    }, ...extra],
  }, label);
}

const PALETTE = [ACCENT, ACCENT2, "#9be38b", "#f28fb0", "#c3a6ff"];

/** Scores of several series side by side per category (the comparison of 2–5 units per domain). */
export function groupedBars(el, { categories, series, label, noDataText = "—", onCategory }) {
  if (!series.some((s) => s.values.some((v) => v !== null && v !== undefined))) {
    noData(el, noDataText);
    return null;
  }
  const chart = make(el, {
    grid: { left: 50, right: 20, top: 40, bottom: 70 },
    legend: { top: 0, textStyle: { color: MUTED } },
    tooltip: {
      trigger: "axis",
      formatter: (ps) => [esc(ps[0]?.name ?? ""), ...ps.map((p) => `${esc(p.seriesName)}: ${p.data?.missing ? esc(noDataText) : score(p.value)}`)].join("<br>"),
    },
    xAxis: { type: "category", data: categories.map((c) => c.name), axisLabel: { color: TEXT, interval: 0, rotate: categories.length > 4 ? 30 : 0 } },
    yAxis: { type: "value", max: 100, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
    series: series.map((s, i) => ({
      type: "bar", name: s.name, barMaxWidth: 22, itemStyle: { color: PALETTE[i % PALETTE.length] },
      data: s.values.map((v) => (v === null || v === undefined ? { value: 0, missing: true } : scoreValue(v))),
    })),
  }, label);
  if (onCategory) chart.on("click", (p) => onCategory(categories[p.dataIndex]));
  return chart;
}

/** Vertical bars each in its own colour (AQI in its HJ 633 level colour); ``null`` values are gaps. */
export function levelBars(el, { x, y, colours, label, name }) {
  return make(el, {
    grid: { left: 50, right: 20, top: 20, bottom: 50 },
    tooltip: { trigger: "axis", valueFormatter: (v) => (typeof v === "number" ? String(v) : "—") },
    xAxis: { type: "category", data: x, axisLabel: { color: MUTED, hideOverlap: true } },
    yAxis: { type: "value", name, nameTextStyle: { color: MUTED }, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
    series: [{
      type: "bar", name, barMaxWidth: 18,
      data: y.map((v, i) => (v === null || v === undefined ? "-" : { value: v, itemStyle: { color: colours[i] ?? "#888" } })),
    }],
  }, label);
}

/** Readings over time; those that breached the rule drawn in red, the threshold as a dashed line. */
export function readings(el, { x, y, breach, threshold, label, name }) {
  return make(el, {
    grid: { left: 60, right: 30, top: 30, bottom: 50 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: x, axisLabel: { color: MUTED, hideOverlap: true } },
    yAxis: { type: "value", scale: true, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
    series: [{
      type: "line", name, lineStyle: { color: ACCENT, width: 2 }, symbolSize: 7,
      data: y.map((v, i) => ({ value: v, itemStyle: { color: breach[i] ? "#ff5252" : ACCENT } })),
      markLine: threshold === null || threshold === undefined ? undefined : {
        symbol: "none", silent: true, lineStyle: { color: ACCENT2, type: "dashed" }, label: { color: ACCENT2 }, data: [{ yAxis: threshold }],
      },
    }],
  }, label);
}

/** One place on the base map (and the units' boundaries), centred and zoomed on it. */
export function pointMap(el, { mapName, geojson, lon, lat, name, label }) {
  if (!window.echarts.getMap(mapName)) window.echarts.registerMap(mapName, geojson);
  const base = geojson.features.filter((f) => f.properties.kind);
  return make(el, {
    tooltip: { trigger: "item", formatter: (p) => escapeHtml(p.name) },
    geo: {
      map: mapName, nameProperty: "code", roam: true, center: [lon, lat], zoom: 24, silent: true,
      itemStyle: { borderColor: BASE_BORDER, borderWidth: 0.8, areaColor: "#24374f" },
      regions: baseRegions({ features: base }),
    },
    series: [{
      type: "scatter", coordinateSystem: "geo", name, symbolSize: 16, itemStyle: { color: ACCENT2, borderColor: "#000" },
      data: [{ name, value: [lon, lat] }],
    }],
  }, label);
}

/**
 * Event volumes over periods: the observed counts, the forecast with its interval as a band, and
 * the surges (observed counts above the band) as red dots. ``names`` holds the four series' words.
 */
export function forecastBand(el, { periods, observed, forecast, lower, upper, surges, names, label, axisName, noDataText = "—" }) {
  if (!observed.some((v) => v !== null && v !== undefined)) {
    noData(el, noDataText);
    return null;
  }
  const gap = (v) => (v === null || v === undefined ? "-" : v);
  const width = upper.map((u, i) => (u === null || u === undefined || lower[i] === null || lower[i] === undefined ? "-" : u - lower[i]));
  return make(el, {
    legend: { top: 0, textStyle: { color: MUTED }, data: [names.observed, names.forecast, names.band, names.surge] },
    grid: { left: 56, right: 20, top: 56, bottom: 48 },
    tooltip: {
      trigger: "axis",
      formatter: (ps) => [esc(ps[0]?.name ?? ""), ...ps.filter((p) => p.seriesName !== "lower" && p.seriesName !== names.band)
        .map((p) => `${esc(p.seriesName)}: ${esc(p.value === "-" || p.value === null ? "—" : p.value)}`)].join("<br>"),
    },
    xAxis: { type: "category", data: periods, axisLabel: { color: MUTED, hideOverlap: true } },
    yAxis: { type: "value", name: axisName, nameTextStyle: { color: MUTED }, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
    series: [
      { name: "lower", type: "line", data: lower.map(gap), stack: "band", symbol: "none", lineStyle: { opacity: 0 }, silent: true },
      { name: names.band, type: "line", data: width, stack: "band", symbol: "none", lineStyle: { opacity: 0 },
        areaStyle: { color: "rgba(92,200,255,0.25)" }, itemStyle: { color: "rgba(92,200,255,0.5)" }, silent: true },
      { name: names.forecast, type: "line", data: forecast.map(gap), symbol: "none", lineStyle: { type: "dashed", color: ACCENT }, itemStyle: { color: ACCENT } },
      { name: names.observed, type: "line", data: observed.map(gap), symbol: "none", lineStyle: { color: ACCENT2 }, itemStyle: { color: ACCENT2 } },
      { name: names.surge, type: "scatter", data: surges.map(gap), symbolSize: 10, itemStyle: { color: "#ff5252" } },
    ],
  }, label);
}

/**
 * Grid cells (a GeoJSON FeatureCollection, one feature per cell with ``properties.events``) coloured
 * by their event count. ``names``: the tooltip's words {events, sla, repeat}; ``lang`` picks the
 * cell's name (name_zh / name_en).
 */
export function cellHeat(el, { mapName, cells, names, lang, label, noDataText = "—" }) {
  if (cells.features.length === 0) {
    noData(el, noDataText);
    return null;
  }
  // ECharts names a region by properties.name and matches series data by it: the cell id is unique.
  const features = cells.features.map((f) => ({ ...f, properties: { ...f.properties, name: String(f.id) } }));
  window.echarts.registerMap(mapName, { type: "FeatureCollection", features });
  const data = features.map((f) => ({ name: String(f.id), value: f.properties.events, cell: f.properties }));
  return make(el, {
    tooltip: {
      trigger: "item",
      formatter: (p) => {
        const c = p.data?.cell;
        if (!c) return esc(p.name);
        const sla = c.closed_within_sla_pct === null || c.closed_within_sla_pct === undefined ? "—" : `${fixed(c.closed_within_sla_pct, 1, lang)}%`;
        return [esc((lang === "en" ? c.name_en : c.name_zh) ?? c.name_zh ?? p.name), `${esc(names.events)}: ${esc(c.events)}`,
          `${esc(names.sla)}: ${esc(sla)}`, `${esc(names.repeat)}: ${esc(c.repeat_locations)}`].join("<br>");
      },
    },
    visualMap: {
      min: 0, max: Math.max(1, ...data.map((d) => d.value)), calculable: true, left: 8, bottom: 8,
      inRange: { color: ["#1d3557", ACCENT2, "#ff5252"] }, textStyle: { color: TEXT },
    },
    series: [{
      type: "map", map: mapName, roam: true, data,
      itemStyle: { borderColor: LINE, borderWidth: 0.3, areaColor: "#24374f" }, emphasis: { label: { show: false } },
    }],
  }, label);
}
