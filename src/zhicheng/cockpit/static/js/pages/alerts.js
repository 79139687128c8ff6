// Alerts: every alert raised (open and ended) and an alert's page (rule, readings, the event it opened).
import * as charts from "../charts.js";
import { concentration, esc, link } from "../format.js";
import { onLive } from "../live.js";
import { pager } from "../ops.js";
import { api, go, state, t } from "../state.js";
import { cityTime, dataTime } from "../time.js";
import { alertTable } from "./station.js";

const PAGE = 50;

function alertFilterForm(params) {
  const active = params.get("active") ?? "";
  const option = (value, key) => `<option value="${esc(value)}"${active === value ? " selected" : ""}>${esc(t(key))}</option>`;
  return `<form class="filters" id="alert-filters" aria-label="${esc(t("filters"))}">
    <label for="f-active">${esc(t("status"))}</label>
    <select id="f-active" name="active">${option("", "alertsAll")}${option("true", "alertsActive")}${option("false", "alertsEnded")}</select>
    <button type="submit">${esc(t("apply"))}</button></form>`;
}

function listFilters(params) {
  const filters = {};
  for (const key of ["active", "thing_id", "rule_id"]) if (params.get(key)) filters[key] = params.get(key);
  return filters;
}

/** The alerts of the list's page (the live updates fetch them again). */
function fetchAlerts(params) {
  const offset = Number(params.get("offset") ?? 0) || 0;
  return api("/api/alerts/history", { ...listFilters(params), limit: PAGE, offset });
}

/** The alert list's body (the live updates redraw it in place). */
function alertListHtml(answer, params) {
  return `<p class="muted" data-testid="alerts-total">${esc(t("alertsFound", { n: answer.total }))}</p>
    ${answer.alerts.length ? alertTable(answer.alerts, true) : `<p class="muted" data-testid="no-alerts-found">${esc(t("noAlertsFound"))}</p>`}
    ${pager("/alerts", listFilters(params), answer)}`;
}

export async function renderAlerts(main, _args, { stale }) {
  const params = new URLSearchParams(window.location.search);
  const answer = await fetchAlerts(params);
  if (stale()) return;
  main.innerHTML = `<h1>${esc(t("alertList"))}</h1><section class="card">${alertFilterForm(params)}<div id="alert-list" data-live="alerts">${alertListHtml(answer, params)}</div></section>`;
  onLive(["alerts"], async () => {
    const fresh = await fetchAlerts(params);
    if (!stale()) document.getElementById("alert-list").innerHTML = alertListHtml(fresh, params);
  });
  document.getElementById("alert-filters").addEventListener("submit", (e) => {
    e.preventDefault();
    const active = document.getElementById("f-active").value;
    go(active ? `/alerts?active=${active}` : "/alerts");
  });
}

function ruleText(rule, unit) {
  if (rule.kind === "aqi_level") return `${t("kindAqi")} ≥ ${t("levelN", { n: rule.aqi_level })}（${t(`level.${rule.aqi_level}`)}）`;
  return `${t(`cmp.${rule.comparison}`)} ${concentration(rule.threshold, state.lang, unit)}`;
}

export async function renderAlert(main, [id], { stale }) {
  const a = await api(`/api/alerts/${encodeURIComponent(id)}`);
  if (stale()) return;
  const breaches = a.observations.filter((o) => o.breach);
  const rows = breaches.slice(0, 100).map((o) => `<tr><td>${esc(cityTime(o.at))}</td><td class="num">${concentration(o.value, state.lang, a.unit)} <span class="muted">${esc(a.unit ?? "")}</span></td></tr>`).join("");
  const event = a.event
    ? `${link(`#${a.event.id}`, `/event/${encodeURIComponent(a.event.id)}`, 'data-testid="alert-event"')} · ${esc(a.event.status)}`
    : `<span class="muted">${esc(t("noEvent"))}</span>`;
  main.dataset.alert = id;
  main.innerHTML = `<ol class="crumbs"><li>${link(t("alertList"), "/alerts")}</li><li>#${esc(a.id)}</li></ol>
    <h1 data-testid="alert-title">${esc(t("alertPage", { id: a.id }))} · ${esc(a.rule_name)}</h1>
    <div class="grid">
      <section class="card span-6" aria-labelledby="h-rule"><h2 id="h-rule">${esc(t("rule"))}</h2>
        <dl class="facts">
          <dt>${esc(t("rule"))}</dt><dd>${esc(a.rule.name)}</dd>
          <dt>${esc(t("ruleKind"))}</dt><dd data-testid="alert-rule">${esc(ruleText(a.rule, a.unit))}</dd>
          <dt>${esc(t("duration"))}</dt><dd>${esc(t("minutes", { n: a.rule.duration_minutes }))}</dd>
          <dt>${esc(t("station"))}</dt><dd>${link(a.station, `/station/${encodeURIComponent(a.thing_id)}`, 'data-testid="alert-station"')}</dd>
          <dt>${esc(t("datastream"))}</dt><dd>${esc(a.datastream_name)}</dd>
          <dt>${esc(t("start"))}</dt><dd>${esc(cityTime(a.start))} <span class="stamp">${esc(dataTime(a.start))}</span></dd>
          <dt>${esc(t("end"))}</dt><dd>${a.active ? `<span class="bad">${esc(t("ongoing"))}</span>` : esc(cityTime(a.end))}</dd>
          <dt>${esc(t("peak"))}</dt><dd data-testid="alert-peak">${concentration(a.peak_value, state.lang, a.unit)} <span class="muted">${esc(a.unit ?? "")}</span> · ${esc(cityTime(a.peak_at))}</dd>
          <dt>${esc(t("message"))}</dt><dd>${esc(a.message)}</dd>
          <dt>${esc(t("openedEvent"))}</dt><dd>${event}</dd>
        </dl></section>
      <section class="card span-6" aria-labelledby="h-readings"><h2 id="h-readings">${esc(t("readings"))}</h2>
        <div id="alert-readings" class="chart" data-testid="alert-chart"></div>
        <div class="table-wrap"><table data-testid="alert-readings"><thead><tr><th scope="col">${esc(t("at"))}</th>
        <th scope="col" class="num">${esc(t("value"))}</th></tr></thead><tbody>${rows}</tbody></table></div></section>
    </div>`;
  charts.readings(document.getElementById("alert-readings"), {
    x: a.observations.map((o) => cityTime(o.at).slice(5)), y: a.observations.map((o) => o.value),
    breach: a.observations.map((o) => o.breach), threshold: a.rule.kind === "threshold" ? a.rule.threshold : null,
    name: a.observed_property, label: t("readings"),
  });
}
