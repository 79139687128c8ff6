// The prediction page (事件预判): event volumes with their forecast band and surges, the event
// heat map by grid cell, the public warnings (CAP 1.2) and the alerts forecasts raised. Data go
// into markup only through esc(); the charts' tooltips are escaped too.
import * as charts from "../charts.js";
import { esc, fixed, link } from "../format.js";
import { eventCatalogue } from "../ops.js";
import { api, go, state, t } from "../state.js";
import { cityTime } from "../time.js";


function serviceForm(list, chosen) {
  const options = list.map((s) => `<option value="${esc(s.code)}"${s.code === chosen ? " selected" : ""}>${esc(s.name)}</option>`).join("");
  return `<form class="filters" id="predict-filters" aria-label="${esc(t("filters"))}">
    <label for="service-select">${esc(t("predictService"))}</label>
    <select id="service-select" name="service"><option value="">${esc(t("filterAll"))}</option>${options}</select></form>`;
}

/** A warning's headline in the page's language (the first info block when it has none in it). */
function headline(w) {
  const info = w.info.find((b) => b.language.startsWith(state.lang === "en" ? "en" : "zh")) ?? w.info[0];
  return info?.headline ?? "—";
}

/** A table of ``rowsHtml`` (rows already escaped), or ``empty`` when there are none. */
function table(testid, head, rowsHtml, empty) {
  if (!rowsHtml) return `<p class="muted" data-testid="${esc(testid)}-empty">${esc(empty)}</p>`;
  return `<div class="table-wrap"><table data-testid="${esc(testid)}"><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join("")}</tr></thead>
    <tbody>${rowsHtml}</tbody></table></div>`;
}

function warningRows(warnings) {
  return warnings.map((w) => `<tr><td>${esc(headline(w))}</td><td>${esc(t(`capType.${w.msg_type}`))}</td>
    <td>${esc(w.sent ? cityTime(w.sent) : "—")}</td><td>${esc(w.active ? t("alertsActive") : t("alertsEnded"))}</td></tr>`).join("");
}

function number(v) {
  return v === null || v === undefined ? "—" : fixed(v, 1, state.lang);
}

function alertRows(alerts) {
  return alerts.slice(0, 50).map((a) => `<tr><td>${esc(t(`forecastKind.${a.kind}`))}</td><td>${esc(a.place)}</td>
    <td>${esc(cityTime(a.target_at))}</td><td>${esc(number(a.predicted))}</td><td>${esc(number(a.threshold))}</td><td>${esc(a.message)}</td>
    <td>${a.event_id ? link(`#${a.event_id}`, `/event/${encodeURIComponent(a.event_id)}`, 'data-testid="forecast-event"') : "—"}</td></tr>`).join("");
}

export async function renderPredict(main, _args, { stale }) {
  const chosen = new URLSearchParams(window.location.search).get("service") ?? "";
  const only = { service_code: chosen || null };
  const [{ list }, volumes, cells, warnings, alerts] = await Promise.all([
    eventCatalogue(), api("/api/forecast/volumes", only), api("/api/grid/cells", only), api("/api/warnings"), api("/api/forecast/alerts"),
  ]);
  if (stale()) return;
  // a period is named by its start on the clock the events were counted on, as the server gives it
  const periods = [...volumes.history.map((h) => h.period), ...volumes.ahead.map((a) => a.period)]
    .map((p) => String(p).slice(0, 16).replace("T", " "));
  main.innerHTML = `<h1>${esc(t("nav.predict"))}</h1>
    <section class="card">${serviceForm(list, chosen)}</section>
    <div class="grid">
      <section class="card span-8" aria-labelledby="h-volume"><h2 id="h-volume">${esc(t("predictVolume"))}</h2>
        <div class="chart" id="volume-chart" data-testid="volume-chart"></div>
        <p class="muted" data-testid="surge-count">${esc(t("predictSurges", { n: volumes.surges.length }))}</p></section>
      <section class="card span-4" aria-labelledby="h-heat"><h2 id="h-heat">${esc(t("predictHeat"))}</h2>
        <div class="chart" id="heat-map" data-testid="heat-map"></div>
        <p class="muted" data-testid="cell-count">${esc(t("predictCells", { n: cells.features.length }))}</p></section>
      <section class="card span-6" aria-labelledby="h-warnings"><h2 id="h-warnings">${esc(t("predictWarnings"))}</h2>
        ${table("warnings-table", [t("predictHeadline"), t("predictMsgType"), t("predictSent"), t("status")], warningRows(warnings), t("noData"))}</section>
      <section class="card span-6" aria-labelledby="h-falerts"><h2 id="h-falerts">${esc(t("predictAlerts"))}</h2>
        ${table("alerts-table", [t("predictKind"), t("predictPlace"), t("predictFor"), t("predictPredicted"), t("threshold"), t("message"), t("openedEvent")],
          alertRows(alerts), t("noData"))}</section>
    </div>
    <p class="muted">${esc(t("predictMethod"))}</p>`;
  charts.forecastBand(document.getElementById("volume-chart"), {
    periods,
    observed: [...volumes.history.map((h) => h.count), ...volumes.ahead.map(() => null)],
    forecast: [...volumes.history.map((h) => h.forecast), ...volumes.ahead.map((a) => a.forecast)],
    lower: [...volumes.history.map((h) => h.lower), ...volumes.ahead.map((a) => a.lower)],
    upper: [...volumes.history.map((h) => h.upper), ...volumes.ahead.map((a) => a.upper)],
    surges: [...volumes.history.map((h) => (h.surge ? h.count : null)), ...volumes.ahead.map(() => null)],
    names: { observed: t("predictObserved"), forecast: t("predictForecast"), band: t("predictBand"), surge: t("predictSurge") },
    axisName: t("predictEvents"), label: t("predictVolume"), noDataText: t("noData"),
  });
  charts.cellHeat(document.getElementById("heat-map"), {
    mapName: `cells-${chosen || "all"}`, cells, lang: state.lang, label: t("predictHeat"), noDataText: t("noData"),
    names: { events: t("predictEvents"), sla: t("predictSla"), repeat: t("predictRepeat") },
  });
  document.getElementById("service-select").addEventListener("change", (e) => {
    go(e.target.value ? `/predict?service=${encodeURIComponent(e.target.value)}` : "/predict");
  });
}
