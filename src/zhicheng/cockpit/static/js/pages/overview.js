// The overview (一屏了然): index, grade and rank; radar; domain bars; map; ranking; live panel.
import { aqiColour, emptyState, exportLinks, gradeCell, gradeText, scoreOrNoData } from "../components.js";
import { api, controls, go, here, state, t } from "../state.js";
import * as charts from "../charts.js";
import { esc, link, nodePath, score } from "../format.js";
import { OPEN_STATES, aqiLevel } from "../ops.js";
import { onLive } from "../live.js";
import { cityTime, dataTime } from "../time.js";

function kpis(data) {
  const idx = data.index;
  const unitUrl = here(`/unit/${encodeURIComponent(data.unit.code)}`);
  const grade = gradeText(idx);
  const interval = idx.rank_interval
    ? `<div class="sub" data-testid="rank-interval">${esc(t("interval"))}: ${esc(idx.rank_interval[0])}–${esc(idx.rank_interval[1])}</div>`
    : "";
  return `<section class="kpis" aria-label="${esc(t("index"))}">
    <div class="kpi"><div class="label">${esc(t("unit"))} · ${esc(t("period"))}</div>
      <div class="value">${link(data.unit.name, unitUrl, 'data-testid="kpi-unit"')}</div>
      <div class="sub">${esc(data.run.period)} · ${esc(data.framework.name)}</div></div>
    <div class="kpi"><div class="label">${esc(t("index"))}</div>
      <div class="value">${link(score(idx.score), unitUrl, 'data-testid="kpi-index"')}</div>
      <div class="sub">/ 100</div></div>
    <div class="kpi"><div class="label">${esc(t("grade"))}</div>
      <div class="value">${link(grade.value, `${unitUrl}#gaps`, 'data-testid="kpi-grade"')}</div>
      <div class="sub">${esc(grade.sub)}</div></div>
    <div class="kpi"><div class="label">${esc(t("rank"))}</div>
      <div class="value">${link(idx.rank ?? "—", here("/ranking"), 'data-testid="kpi-rank"')}</div>
      <div class="sub">${esc(t("rankOf", { n: idx.units_ranked }))}</div>${interval}</div>
  </section>`;
}

function domainTable(data) {
  const rows = data.domains.map((d) => {
    const url = here(nodePath("domain", d.code));
    return `<tr><td>${link(d.name, url)}</td>
      <td class="num">${link(scoreOrNoData(d.score), url, `data-testid="domain-score" data-code="${esc(d.code)}"`)}</td>
      <td class="num">${d.rank === null ? "—" : link(d.rank, here("/ranking", { code: d.code }))}</td>
      <td class="num">${score(d.target)}</td></tr>`;
  }).join("");
  return `<table data-testid="domain-table"><caption class="sr-only">${esc(t("domainBars"))}</caption>
    <thead><tr><th scope="col">${esc(t("domain"))}</th><th scope="col" class="num">${esc(t("score"))}</th>
    <th scope="col" class="num">${esc(t("rank"))}</th><th scope="col" class="num">${esc(t("target"))}</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

function rankingTable(data) {
  const rows = data.ranking.map((r) => {
    const current = r.unit_code === data.unit.code ? ' class="current" aria-current="true"' : "";
    const url = here(`/unit/${encodeURIComponent(r.unit_code)}`, { unit: r.unit_code });
    const interval = data.has_intervals && r.rank_interval ? ` <span class="muted">(${esc(r.rank_interval[0])}–${esc(r.rank_interval[1])})</span>` : "";
    return `<tr${current} data-unit="${esc(r.unit_code)}"><td class="num">${link(r.rank ?? "—", here("/ranking"))}${interval}</td>
      <td>${link(r.name, url)}</td><td class="num">${link(score(r.score), url, 'data-testid="ranking-score"')}</td>
      <td class="grade">${esc(gradeCell(r))}</td></tr>`;
  }).join("");
  return `<table data-testid="ranking-table"><caption class="sr-only">${esc(t("ranking"))}</caption>
    <thead><tr><th scope="col" class="num">${esc(t("rank"))}</th><th scope="col">${esc(t("unit"))}</th>
    <th scope="col" class="num">${esc(t("index"))}</th><th scope="col">${esc(t("grade"))}</th></tr></thead>
    <tbody>${rows}</tbody></table>
    <p>${link(t("rankingAll"), here("/ranking"))}</p>`;
}

function airPanel(air) {
  if (!air || !air.available) return `<p class="muted" data-testid="no-air">${esc(t("noAir"))}</p>`;
  const items = air.stations.map((s) => {
    const url = `/station/${encodeURIComponent(s.id)}`;
    return `<li data-station="${esc(s.id)}"><a class="pill aqi aqi-${esc(aqiLevel(s.aqi))}" href="${esc(url)}" data-link
      data-testid="station-aqi" aria-label="${esc(s.name)} AQI ${esc(s.aqi ?? "—")}">${esc(s.aqi ?? "—")}</a>
      ${link(s.name, url, 'data-testid="station-link"')} <span class="muted">${esc(s.level_name ?? "")}${s.primary ? ` · ${esc(t("primary"))} ${esc(s.primary)}` : ""}
      · ${esc(cityTime(s.at))}</span></li>`;
  }).join("");
  const newest = air.stations.map((s) => s.at).filter(Boolean).sort().at(-1);
  return `<p class="muted">${esc(t("stationCount", { n: air.stations.length }))}</p>
    ${newest ? `<p class="stamp" data-testid="air-stamp">${esc(dataTime(newest))}</p>` : ""}
    <ul class="plain" data-testid="air-list">${items}</ul>`;
}

function eventsPanel(ev) {
  if (!ev || !ev.available) return `<p class="muted" data-testid="no-events">${esc(t("noEvents"))}</p>`;
  const rows = ev.overdue_list.map((e) => {
    const id = e.request_id ?? e.id;
    return `<tr><td>${link(`#${id}`, `/event/${encodeURIComponent(id)}`, 'data-testid="overdue-event"')}</td><td>${esc(e.service_name ?? e.service_code)}</td>
    <td>${esc(e.department_name ?? e.department ?? "—")}</td><td>${esc(cityTime(e.expected_at))}</td></tr>`;
  }).join("");
  return `<div class="row"><div class="kpi"><div class="label">${esc(t("openEvents"))}</div>
      <div class="value">${link(ev.open, `/events?status=${OPEN_STATES}`, 'data-testid="events-open"')}</div></div>
    <div class="kpi"><div class="label">${esc(t("overdueEvents"))}</div>
      <div class="value">${link(ev.overdue, `/events?status=${OPEN_STATES}&overdue=true`, 'class="bad" data-testid="events-overdue"')}</div></div></div>
    ${rows ? `<div class="table-wrap"><table><thead><tr><th scope="col">#</th><th scope="col">${esc(t("service"))}</th>
    <th scope="col">${esc(t("department"))}</th><th scope="col">${esc(t("expected"))}</th></tr></thead><tbody>${rows}</tbody></table></div>` : ""}`;
}

function alertsPanel(al) {
  if (!al || !al.available) return `<p class="muted" data-testid="no-alerts">${esc(t("noAlerts"))}</p>`;
  const rows = al.list.map((a) => `<li data-alert="${esc(a.id)}">${link(a.rule, `/alert/${encodeURIComponent(a.id)}`, 'data-testid="active-alert"')} · ${esc(a.station ? `${a.station} ${a.observed_property ?? ""}` : a.datastream)} ·
    ${esc(cityTime(a.started_at))}<br><span class="muted">${esc(a.message)}</span></li>`).join("");
  const history = `<p>${link(t("alertsRaised", { n: al.total ?? al.active }), "/alerts", 'data-testid="alerts-history"')}</p>`;
  if (al.active === 0) return `<p class="muted" data-testid="no-alerts">${esc(t("noAlerts"))}</p>${history}`;
  return `<div class="kpi"><div class="label">${esc(t("activeAlerts"))}</div>
    <div class="value">${link(al.active, "/alerts?active=true", 'class="bad" data-testid="alerts-active"')}</div></div><ul>${rows}</ul>${history}`;
}

function layout(data) {
  const mapOptions = data.scores.codes.map((c, i) => `<option value="${esc(i)}">${esc(data.scores.names[i])}</option>`).join("");
  return `${kpis(data)}
  <div class="grid" style="margin-top:14px">
    <section class="card span-4" aria-labelledby="h-radar"><h2 id="h-radar">${esc(t("radar"))}</h2>
      <div id="radar" class="chart tall" data-testid="radar"></div><p class="muted small" id="radar-missing" data-testid="radar-missing"></p></section>
    <section class="card span-4" aria-labelledby="h-bars"><h2 id="h-bars">${esc(t("domainBars"))}</h2>${exportLinks("domains", { unit: data.unit.code })}
      <div id="domain-bars" class="chart" data-testid="domain-bars"></div>${domainTable(data)}</section>
    <section class="card span-4" aria-labelledby="h-map"><div class="row"><h2 id="h-map">${esc(t("map"))}</h2>
      <span class="spacer"></span><label for="map-by" class="muted">${esc(t("mapBy"))}</label>
      <select id="map-by">${mapOptions}</select></div>
      <div id="map" class="chart map" data-testid="map"></div></section>
    <section class="card span-5" aria-labelledby="h-rank"><h2 id="h-rank">${esc(t("ranking"))}</h2>${exportLinks("ranking")}${rankingTable(data)}</section>
    <section class="card span-7" aria-labelledby="h-live"><div class="row"><h2 id="h-live">${esc(t("live"))}</h2>
      <span class="spacer"></span><span class="stamp"><span class="live-dot" aria-hidden="true"></span><span id="live-updated" data-testid="live-updated"></span></span></div>
      <div class="grid" id="live">
        <div class="span-4"><h3>${esc(t("air"))}</h3><div id="live-air">…</div></div>
        <div class="span-5"><h3>${esc(t("events"))}</h3><div id="live-events">…</div></div>
        <div class="span-3"><h3>${esc(t("alerts"))}</h3><div id="live-alerts">…</div></div>
      </div></section>
  </div>`;
}

function average(data, slot) {
  const values = Object.values(data.scores.units).map((v) => v[slot]).filter((v) => v !== null);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function drawCharts(data, geojson) {
  const domainAxes = data.domains.map((d) => ({ code: d.code, name: d.name }));
  const slots = data.domains.map((d) => data.scores.codes.indexOf(d.code));
  charts.radar(document.getElementById("radar"), {
    axes: domainAxes,
    label: t("radar"),
    series: [
      { name: data.unit.name, values: data.domains.map((d) => d.score) },
      { name: t("average"), values: slots.map((s) => average(data, s)) },
    ],
    onAxis: (a) => go(here(nodePath("domain", a.code))),
    noDataText: t("noData"),
    noDataEl: document.getElementById("radar-missing"),
  });
  const next = data.index.next_grade;
  charts.bars(document.getElementById("domain-bars"), {
    items: data.domains.map((d) => ({ code: d.code, name: d.name, value: d.score, target: d.target })),
    label: t("score"),
    targetName: t("target"),
    markLine: next ? { value: next.min, label: next.name } : null,
    onBar: (item) => go(here(nodePath("domain", item.code))),
    noDataText: t("noData"),
  });
  drawMap(data, geojson, 0);
  document.getElementById("map-by").addEventListener("change", (e) => drawMap(data, geojson, Number(e.target.value)));
}

let mapChart = null;
let stations = []; // the live panel's stations, newest answer
let mapStations = null; // the stations the map shows

let basemap = null; // the national base map (provinces, South China Sea inset), fetched once

function drawMap(data, geojson, slot) {
  const el = document.getElementById("map");
  window.echarts.getInstanceByDom(el)?.dispose();
  mapChart = null;
  if (!geojson || geojson.features.length === 0) {
    charts.noData(el, t("noData"));
    return;
  }
  const names = Object.fromEntries(data.units.map((u) => [u.code, u.name]));
  mapChart = charts.choropleth(el, {
    mapName: `units-run-${data.run.id}${basemap ? "-national" : ""}`,
    geojson: charts.onBasemap(basemap, geojson),
    names,
    units: new Set(geojson.features.map((f) => f.properties.code)),
    label: `${t("map")}: ${data.scores.names[slot]}`,
    seriesName: data.scores.names[slot],
    // Every unit on the map, evaluated or not: those without a score are drawn as "no data".
    data: geojson.features.map((f) => f.properties.code)
      .map((code) => ({ code, value: data.scores.units[code]?.[slot] ?? null })),
    selected: data.unit.code,
    noDataText: t("noData"),
    onUnit: (code) => go(here(`/unit/${encodeURIComponent(code)}`, { unit: code })),
    stations, // drawn with the map: adding them later redraws all of it
  });
  mapStations = stations;
}

async function drawLive(runStale, pending) {
  const live = await pending;
  // Stations that came after the map go onto it once it has been drawn (adding them redraws it).
  await charts.allRendered();
  if (runStale()) return;
  stations = live.air?.stations ?? [];
  // A redraw only when the dots change (a refresh after an event write leaves them as they are).
  if (stations !== mapStations && JSON.stringify(stations) !== JSON.stringify(mapStations)) {
    charts.addStations(mapChart, stations);
    mapStations = stations;
  }
  document.getElementById("live-air").innerHTML = airPanel(live.air);
  document.getElementById("live-events").innerHTML = eventsPanel(live.events);
  document.getElementById("live-alerts").innerHTML = alertsPanel(live.alerts);
  const updated = document.getElementById("live-updated");
  if (updated) updated.textContent = t("updatedAt", { time: cityTime(live.at ?? new Date().toISOString()) });
}

export async function renderOverview(main, _args, { stale }) {
  // The map's boundaries and the live panel are asked for at once, beside the overview's answer.
  const geoPending = api("/api/cockpit/geo", { run: state.run }).catch(() => null);
  const livePending = api("/api/cockpit/live").catch(() => ({}));
  const base = await controls();
  if (base.empty) {
    main.innerHTML = emptyState();
    return;
  }
  // Stations known by the time the map is drawn are drawn with it, in one pass.
  livePending.then((live) => { if (!stale()) stations = live.air?.stations ?? stations; });
  const [data, geojson, national] = await Promise.all([
    state.unit && state.unit !== base.unit?.code ? api("/api/cockpit/overview", { run: state.run, unit: state.unit }) : base,
    geoPending,
    basemap ?? charts.loadBasemap(),
  ]);
  basemap = national;
  if (stale()) return;
  main.innerHTML = layout(data);
  main.dataset.unit = data.unit.code;
  drawCharts(data, geojson);
  // The live panel does not hold up the charts: it fills in when its answer comes (body[data-panel]).
  document.body.dataset.panel = "0";
  drawLive(stale, livePending).finally(() => {
    if (stale()) return;
    document.body.dataset.panel = "1";
    performance.mark("zhicheng:live-rendered");
  });
  // live means live: the panel redraws itself whenever any process writes air, alert or event data
  onLive(["sensing", "alerts", "events"], () => drawLive(stale, api("/api/cockpit/live").catch(() => ({}))));
}
