// Apache ECharts wrappers for the cockpit: radar, bars, map, line. Each chart is registered so that
// the page knows when all charts have rendered (body[data-ready]) and can dispose them on leaving.
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

/** Resolves when every chart made since the last call has finished rendering. */
export function allRendered() {
  const waiting = pending;
  pending = [];
  return Promise.all(waiting);
}

export function disposeAll() {
  for (const chart of live) chart.dispose();
  live.clear();
  pending = [];
}

export function resizeAll() {
  for (const chart of live) chart.resize();
}

export function radar(el, { axes, series, label, onAxis }) {
  // An axis no series has a value for is marked "—" under its name: the polygon's dip to the
  // centre there means "not scored", not a score of 0.
  const shown = axes.map((a, k) => (series.every((s) => s.values[k] === null) ? `${a.name}\n—` : a.name));
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
        value: s.values.map((v) => (v === null ? "-" : Number(v.toFixed(1)))),
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

export function bars(el, { items, label, targetName, markLine, onBar, horizontal = true, max = 100 }) {
  const names = items.map((i) => i.name);
  const valueAxis = { type: "value", max, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } };
  const catAxis = { type: "category", data: names, inverse: horizontal, axisLabel: { color: TEXT, width: 140, overflow: "truncate" } };
  const series = [{
    type: "bar",
    name: label,
    data: items.map((i) => (i.value === null ? "-" : Number(i.value.toFixed(2)))),
    itemStyle: { color: ACCENT },
    barMaxWidth: 26,
    label: { show: true, position: horizontal ? "right" : "top", color: TEXT, formatter: (p) => (typeof p.value === "number" ? p.value.toFixed(1) : "") },
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
    tooltip: { trigger: "axis" },
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

export function choropleth(el, { mapName, geojson, data, names, units, label, seriesName, onUnit, selected }) {
  if (!window.echarts.getMap(mapName)) window.echarts.registerMap(mapName, geojson);
  const base = geojson.features.filter((f) => f.properties.kind);
  const baseNames = Object.fromEntries(base.map((f) => [f.properties.code, f.properties.name]));
  const chart = make(el, {
    tooltip: {
      trigger: "item",
      formatter: (p) => (p.seriesType === "scatter"
        ? `${escapeHtml(p.name)}<br>AQI ${escapeHtml(p.value[2] ?? "—")}`
        : baseNames[p.name] !== undefined ? escapeHtml(baseNames[p.name])
          : `${escapeHtml(names[p.name] ?? p.name)}<br>${escapeHtml(seriesName)}: ${typeof p.value === "number" && !Number.isNaN(p.value) ? p.value.toFixed(1) : "—"}`),
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
        : { name: d.code, value: Number(d.value.toFixed(2)) })),
      // The base map's land and lines in their own colours, outside the scale (property ``base``).
      ...base.map((f) => ({ name: f.properties.code, value: NaN, base: true, ...baseRegions({ features: [f] })[0] }))],
    }],
  }, label);
  const clickable = units ?? new Set(data.map((d) => d.code));
  if (onUnit) chart.on("click", (p) => p.seriesType === "map" && clickable.has(p.name) && onUnit(p.name));
  return chart;
}

/** Stations as dots in their AQI colours on a choropleth made by :func:`choropleth`. */
export function addStations(chart, stations) {
  const located = stations.filter((s) => s.lon !== null && s.lon !== undefined && s.lat !== null && s.lat !== undefined);
  if (!chart || chart.isDisposed() || located.length === 0) return;
  chart.setOption({
    series: [{}, {
      type: "scatter", coordinateSystem: "geo", geoIndex: 0, name: "AQI", symbolSize: 12, zlevel: 1,
      itemStyle: { borderColor: "#000", borderWidth: 1 },
      data: located.map((s) => ({ name: s.name, value: [s.lon, s.lat, s.aqi], itemStyle: { color: s.colour ?? "#888" } })),
    }],
  });
}

export function line(el, { x, y, name, label, target }) {
  return make(el, {
    grid: { left: 70, right: 30, top: 30, bottom: 40 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: x, axisLabel: { color: MUTED } },
    yAxis: { type: "value", scale: true, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
    series: [{
      type: "line", name, data: y, symbolSize: 8, lineStyle: { color: ACCENT, width: 3 }, itemStyle: { color: ACCENT },
      markLine: target === null || target === undefined ? undefined : {
        symbol: "none", lineStyle: { color: ACCENT2, type: "dashed" }, label: { color: ACCENT2 }, data: [{ yAxis: target }],
      },
    }],
  }, label);
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
