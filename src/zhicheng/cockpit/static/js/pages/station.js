// A station's page: current AQI, hourly and daily AQI in the HJ 633 colours, the levels, its alerts.
import * as charts from "../charts.js";
import { concentration, esc, link } from "../format.js";
import { aqiColourOf, aqiLegend, aqiPill } from "../ops.js";
import { api, here, state, t } from "../state.js";
import { cityTime, dataTime } from "../time.js";

const HOURS = 72;
const DAYS = 30;
const DAY_MS = 86_400_000;
const UNITS = { so2: "µg/m³", no2: "µg/m³", co: "mg/m³", o3: "µg/m³", pm10: "µg/m³", pm25: "µg/m³" };
const NAMES = { so2: "SO₂", no2: "NO₂", co: "CO", o3: "O₃", pm10: "PM10", pm25: "PM2.5" };

function latestTable(now) {
  const rows = Object.entries(now.concentrations ?? {}).map(([p, v]) => {
    const iaqi = Object.entries(now.iaqi ?? {}).filter(([k]) => k.startsWith(`${p}_`)).map(([k, x]) => `${esc(x)} <span class="muted">(${esc(k.slice(p.length + 1))})</span>`);
    return `<tr><td>${esc(NAMES[p] ?? p)}</td><td class="num">${concentration(v, state.lang, UNITS[p])} <span class="muted">${esc(UNITS[p] ?? "")}</span></td>
      <td class="num">${iaqi.join(" ") || "—"}</td></tr>`;
  }).join("");
  return `<table data-testid="latest-hour"><thead><tr><th scope="col">${esc(t("pollutant"))}</th>
    <th scope="col" class="num">${esc(t("concentration"))}</th><th scope="col" class="num">${esc(t("iaqi"))}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function alertRows(alerts, withStation) {
  return alerts.map((a) => `<tr data-alert="${esc(a.id)}"><td>${link(`#${a.id}`, `/alert/${encodeURIComponent(a.id)}`, 'data-testid="alert-link"')}</td>
    <td>${esc(a.rule_name)}</td>
    ${withStation ? `<td>${link(a.station, `/station/${encodeURIComponent(a.thing_id)}`)}</td>` : ""}
    <td>${esc(a.observed_property)}</td>
    <td class="num">${concentration(a.peak_value, state.lang, a.unit)} <span class="muted">${esc(a.unit ?? "")}</span></td>
    <td>${esc(cityTime(a.start))}</td><td>${a.active ? `<span class="bad">${esc(t("ongoing"))}</span>` : esc(cityTime(a.end))}</td></tr>`).join("");
}

export function alertTable(alerts, withStation) {
  return `<div class="table-wrap"><table data-testid="alert-table"><thead><tr><th scope="col">#</th><th scope="col">${esc(t("rule"))}</th>
    ${withStation ? `<th scope="col">${esc(t("station"))}</th>` : ""}<th scope="col">${esc(t("pollutant"))}</th>
    <th scope="col" class="num">${esc(t("peak"))}</th><th scope="col">${esc(t("start"))}</th><th scope="col">${esc(t("end"))}</th></tr></thead>
    <tbody>${alertRows(alerts, withStation)}</tbody></table></div>`;
}

export async function renderStation(main, [id], { stale }) {
  const [now, hourly, alerts] = await Promise.all([
    api(`/api/air/stations/${encodeURIComponent(id)}`),
    api(`/api/air/stations/${encodeURIComponent(id)}/hourly`, { hours: HOURS }),
    api("/api/alerts/history", { thing_id: id, limit: 50 }),
  ]);
  if (stale()) return;
  let daily = [];
  if (now.hour_start) {
    const since = new Date(new Date(now.hour_start).getTime() - DAYS * DAY_MS).toISOString().slice(0, 10);
    daily = await api(`/api/air/stations/${encodeURIComponent(id)}/daily`, { since });
    if (stale()) return;
  }
  const level = state.lang === "en" ? now.level_en : now.level;
  main.dataset.station = id;
  main.innerHTML = `<ol class="crumbs"><li>${link(t("nav.overview"), here("/"))}</li><li>${esc(t("station"))}</li></ol>
    <h1 data-testid="station-title">${esc((state.lang === "zh" && now.name_zh) || now.name)}</h1>
    <section class="kpis">
      <div class="kpi"><div class="label">AQI</div><div class="value" data-testid="station-aqi-now">${aqiPill(now.aqi)}</div>
        <div class="sub">${esc(level ?? "")}${now.primary ? ` · ${esc(t("primary"))} ${esc(now.primary)}` : ""}</div></div>
      <div class="kpi"><div class="label">${esc(t("hourStart"))}</div><div class="value">${esc(cityTime(now.hour_start))}</div>
        <div class="sub stamp" data-testid="station-stamp">${esc(dataTime(now.hour_start))}</div></div>
      <div class="kpi"><div class="label">${esc(t("alerts"))}</div><div class="value">${link(alerts.total, `/alerts?thing_id=${encodeURIComponent(id)}`)}</div></div>
    </section>
    ${now.hour_start ? "" : `<p class="muted">${esc(t("noReadings"))}</p>`}
    <div class="grid mt">
      <section class="card span-8" aria-labelledby="h-hourly"><h2 id="h-hourly">${esc(t("hourlyAqi", { n: HOURS }))}</h2>
        <div id="station-hourly" class="chart" data-testid="hourly-chart"></div></section>
      <section class="card span-4" aria-labelledby="h-levels"><h2 id="h-levels">${esc(t("aqiLevels"))}</h2>${aqiLegend()}</section>
      <section class="card span-8" aria-labelledby="h-daily"><h2 id="h-daily">${esc(t("dailyAqi", { n: DAYS }))}</h2>
        <div id="station-daily" class="chart" data-testid="daily-chart"></div></section>
      <section class="card span-4" aria-labelledby="h-latest"><h2 id="h-latest">${esc(t("latestHour"))}</h2>${latestTable(now)}</section>
      <section class="card span-12" aria-labelledby="h-alerts"><h2 id="h-alerts">${esc(t("stationAlerts"))}</h2>
        ${alerts.alerts.length ? alertTable(alerts.alerts, false) : `<p class="muted" data-testid="no-station-alerts">${esc(t("noAlertsHere"))}</p>`}</section>
    </div>`;
  charts.levelBars(document.getElementById("station-hourly"), {
    x: hourly.map((h) => cityTime(h.hour_start).slice(5)), y: hourly.map((h) => h.aqi),
    colours: hourly.map((h) => aqiColourOf(h.aqi)), name: "AQI", label: t("hourlyAqi", { n: HOURS }),
  });
  charts.levelBars(document.getElementById("station-daily"), {
    x: daily.map((d) => d.date), y: daily.map((d) => d.aqi ?? null),
    colours: daily.map((d) => aqiColourOf(d.aqi)), name: "AQI", label: t("dailyAqi", { n: DAYS }),
  });
}
