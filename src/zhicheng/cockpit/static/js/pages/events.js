// City events: the list with filters (open, overdue, type) and an event's page (history, SLA, map).
import * as charts from "../charts.js";
import { esc, link } from "../format.js";
import { onLive } from "../live.js";
import { CLOSED_STATES, EVENT_READERS, OPEN_STATES, eventCatalogue, hasRole, pager, signinPrompt } from "../ops.js";
import { api, go, refresh, state, t } from "../state.js";
import { cityTime, span } from "../time.js";

const PAGE = 50;


function statusLabel(e) {
  return state.lang === "en" ? e.status_label_en : e.status_label_zh;
}

function dueCell(e) {
  if (!e.expected_at) return "—";
  return `${esc(cityTime(e.expected_at))}${e.overdue ? ` <span class="bad" data-testid="overdue-flag">${esc(t("overdue"))}</span>` : ""}`;
}

/** The sign-in prompt when the caller may not read events; true when the page may go on. */
function mayRead(main) {
  if (hasRole(...EVENT_READERS)) return true;
  signinPrompt(main, Boolean(state.session?.authenticated));
  return false;
}

function eventFilterForm(params, cat) {
  const status = params.get("status") ?? "";
  const choice = status === OPEN_STATES ? "open" : status === CLOSED_STATES ? "closed" : "";
  const types = cat.list.map((s) => `<option value="${esc(s.code)}"${params.get("service_code") === s.code ? " selected" : ""}>${esc(s.name)}</option>`).join("");
  return `<form class="filters" id="event-filters" aria-label="${esc(t("filters"))}">
    <label for="f-status">${esc(t("filterStatus"))}</label>
    <select id="f-status" name="status"><option value="">${esc(t("filterAll"))}</option>
      <option value="open"${choice === "open" ? " selected" : ""}>${esc(t("filterOpen"))}</option>
      <option value="closed"${choice === "closed" ? " selected" : ""}>${esc(t("filterClosed"))}</option></select>
    <label><input type="checkbox" id="f-overdue" name="overdue"${params.get("overdue") === "true" ? " checked" : ""}> ${esc(t("filterOverdue"))}</label>
    <label for="f-type">${esc(t("filterType"))}</label>
    <select id="f-type" name="service_code"><option value="">${esc(t("filterAll"))}</option>${types}</select>
    <button type="submit">${esc(t("apply"))}</button></form>`;
}

function readFilters() {
  const status = document.getElementById("f-status").value;
  const query = new URLSearchParams();
  if (status) query.set("status", status === "open" ? OPEN_STATES : CLOSED_STATES);
  if (document.getElementById("f-overdue").checked) query.set("overdue", "true");
  const type = document.getElementById("f-type").value;
  if (type) query.set("service_code", type);
  const q = query.toString();
  return q ? `/events?${q}` : "/events";
}

export async function renderEvents(main, _args, { stale }) {
  if (!mayRead(main)) return;
  const params = new URLSearchParams(window.location.search);
  const filters = {};
  for (const key of ["status", "overdue", "service_code", "department", "source"]) if (params.get(key)) filters[key] = params.get(key);
  const offset = Number(params.get("offset") ?? 0) || 0;
  const [cat, answer] = await Promise.all([eventCatalogue(), api("/api/events", { ...filters, limit: PAGE, offset })]);
  if (stale()) return;
  const rows = answer.events.map((e) => `<tr data-event="${esc(e.id)}"><td>${link(`#${e.id}`, `/event/${encodeURIComponent(e.id)}`, 'data-testid="event-link"')}</td>
    <td>${esc(cat.byCode[e.service_code]?.name ?? e.service_code)}</td><td>${esc(statusLabel(e))}</td>
    <td>${esc(cat.list.find((s) => s.department === e.department)?.department_name ?? e.department ?? "—")}</td>
    <td>${esc(cityTime(e.requested_at))}</td><td>${dueCell(e)}</td></tr>`).join("");
  main.innerHTML = `<h1>${esc(t("eventList"))} <span class="muted" data-testid="events-total">${esc(t("eventsFound", { n: answer.total }))}</span></h1>
    <section class="card">${eventFilterForm(params, cat)}
    ${rows ? `<div class="table-wrap"><table data-testid="event-table"><thead><tr><th scope="col">#</th><th scope="col">${esc(t("service"))}</th>
      <th scope="col">${esc(t("status"))}</th><th scope="col">${esc(t("department"))}</th><th scope="col">${esc(t("requested"))}</th>
      <th scope="col">${esc(t("due"))}</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : `<p class="muted" data-testid="no-events-found">${esc(t("noEventsFound"))}</p>`}
    ${pager("/events", filters, answer)}
    <p>${link(t("predictHeatLink"), filters.service_code ? `/predict?service=${encodeURIComponent(filters.service_code)}` : "/predict", 'data-testid="heat-link"')}</p></section>`;
  onLive(["events"], () => {
    if (!stale() && !document.activeElement?.closest("#event-filters")) refresh();
  });
  document.getElementById("event-filters").addEventListener("submit", (e) => {
    e.preventDefault();
    go(readFilters());
  });
}

function sla(e, service) {
  const hours = service ? t("slaHours", { h: service.sla_hours }) : "—";
  if (e.closed_at || e.resolved_at) return `${esc(hours)} · <span class="good">${esc(t("slaDone"))}</span>`;
  if (!e.expected_at) return esc(hours);
  const left = (new Date(e.expected_at).getTime() - Date.now()) / 1000;
  return `${esc(hours)} · ${left < 0
    ? `<span class="bad" data-testid="sla-over">${esc(t("slaOver", { time: span(left) }))}</span>`
    : `<span class="good">${esc(t("slaLeft", { time: span(left) }))}</span>`}`;
}

export async function renderEvent(main, [id], { stale }) {
  if (!mayRead(main)) return;
  const [cat, e] = await Promise.all([eventCatalogue(), api(`/api/events/${encodeURIComponent(id)}`)]);
  if (stale()) return;
  const service = cat.byCode[e.service_code];
  const located = e.lat !== null && e.lon !== null;
  const alertId = e.source === "sensor" && e.source_ref ? e.source_ref : null;
  const stateName = (code) => (code ? t(`st.${code}`) : "—");
  const deptName = (code) => cat.list.find((s) => s.department === code)?.department_name ?? code ?? "—";
  const history = e.history.map((h) => `<tr><td>${esc(cityTime(h.at))}</td><td>${esc(stateName(h.from_status))}</td><td>${esc(stateName(h.to_status))}</td>
    <td>${esc(h.actor)}</td><td>${esc(deptName(h.department))}</td><td>${esc(h.note ?? "")}</td></tr>`).join("");
  main.dataset.event = id;
  main.innerHTML = `<ol class="crumbs"><li>${link(t("eventList"), "/events")}</li><li>#${esc(e.id)}</li></ol>
    <h1 data-testid="event-title">${esc(t("eventPage", { id: e.id }))} · ${esc(service?.name ?? e.service_code)}</h1>
    <div class="grid">
      <section class="card span-6" aria-labelledby="h-facts"><h2 id="h-facts">${esc(t("status"))}: <span data-testid="event-status">${esc(statusLabel(e))}</span></h2>
        <dl class="facts">
          <dt>${esc(t("sla"))}</dt><dd data-testid="event-sla">${sla(e, service)}</dd>
          <dt>${esc(t("due"))}</dt><dd>${dueCell(e)}</dd>
          <dt>${esc(t("department"))}</dt><dd data-testid="event-department">${esc(cat.list.find((s) => s.department === e.department)?.department_name ?? e.department ?? "—")}</dd>
          <dt>${esc(t("requested"))}</dt><dd>${esc(cityTime(e.requested_at))}</dd>
          <dt>${esc(t("eventSource"))}</dt><dd>${esc(t(`src.${e.source}`))}${alertId ? ` · ${link(t("openedBy", { id: alertId }), `/alert/${encodeURIComponent(alertId)}`, 'data-testid="event-alert"')}` : ""}</dd>
          <dt>${esc(t("address"))}</dt><dd>${esc(e.address ?? "—")}</dd>
          <dt>${esc(t("description"))}</dt><dd>${esc(e.description ?? "—")}</dd>
        </dl></section>
      <section class="card span-6" aria-labelledby="h-where"><h2 id="h-where">${esc(t("location"))}</h2>
        ${located ? `<div id="event-map" class="chart" data-testid="event-map"></div>` : `<p class="muted">${esc(t("noLocation"))}</p>`}</section>
      <section class="card span-12" aria-labelledby="h-history"><h2 id="h-history">${esc(t("history"))}</h2>
        <div class="table-wrap"><table data-testid="event-history"><thead><tr><th scope="col">${esc(t("at"))}</th><th scope="col">${esc(t("from"))}</th>
        <th scope="col">${esc(t("to"))}</th><th scope="col">${esc(t("actor"))}</th><th scope="col">${esc(t("department"))}</th>
        <th scope="col">${esc(t("note"))}</th></tr></thead><tbody>${history}</tbody></table></div></section>
    </div>`;
  if (located) {
    const [basemap, units] = await Promise.all([charts.loadBasemap(), api("/api/cockpit/geo").catch(() => null)]);
    if (stale()) return;
    const geojson = charts.onBasemap(basemap, units ?? { type: "FeatureCollection", features: [] });
    charts.pointMap(document.getElementById("event-map"), {
      mapName: "event-place", geojson, lon: e.lon, lat: e.lat, name: `#${e.id}`, label: t("location"),
    });
  }
}
