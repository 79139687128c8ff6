// The cockpit's shared state (run, unit, language) and what every page uses: words, API calls,
// links that keep the run and unit, navigation and the header's selectors. Pages import this
// module, never the shell (app.js), so that modules form no cycle.
import { esc, setMeasures } from "./format.js";
import { ApiError, request } from "./http.js";
import { translate } from "./i18n.js";

export const LANG_KEY = "zhicheng.lang";
export const UNIT_KEY = "zhicheng.unit";

export const state = {
  lang: localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh",
  run: null,
  unit: null,
  controls: null, // the overview answer the header's selectors were filled from
  timeZone: "Asia/Shanghai", // the city's time zone (the server's setting, read with the session)
  session: null, // who is signed in: {authenticated, name, role, csrf, open_reads, …} from GET /api/session
};

export function t(key, vars) {
  return translate(state.lang, key, vars);
}

// Requests started before the page asked for them (prefetch), by path and parameters. They
// belong to the first page drawn: the shell forgets what that page did not take.
const early = new Map();
const NOT_SENT = Symbol("not sent");

function requestKey(path, params) {
  const kept = Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "").sort();
  return `${state.lang}|${path}|${JSON.stringify(kept)}`;
}

/**
 * Start a GET now that a page will make later (the overview's data, while its scripts load):
 * the page's own api() call with the same path and parameters takes this answer. With ``gate``
 * (a promise of true or false) it is registered at once and sent only when the gate opens.
 */
export function prefetch(path, params = {}, gate = null) {
  const key = requestKey(path, params);
  if (!early.has(key)) {
    const send = () => request(state.lang, path, { params });
    const pending = gate ? gate.then((ok) => (ok ? send() : NOT_SENT)) : send();
    pending.catch(() => {}); // a failure is the caller's to report, when it asks
    early.set(key, pending);
  }
  return early.get(key);
}

/** GET a JSON resource of the server's API, with the language and (when saved) the token. */
export function api(path, params = {}) {
  const key = requestKey(path, params);
  const started = early.get(key);
  if (started) {
    early.delete(key);
    return started.then((answer) => (answer === NOT_SENT ? request(state.lang, path, { params }) : answer));
  }
  return request(state.lang, path, { params });
}

/** Read the run and unit from the address (the unit remembered when it names none). */
export function readLocation() {
  const params = new URLSearchParams(window.location.search);
  state.run = params.get("run");
  const stored = localStorage.getItem(UNIT_KEY);
  state.unit = params.get("unit") ?? stored ?? null;
}

/**
 * The overview's four answers, asked for at once while the page's other scripts still load.
 * Each is registered at once (so the page's own call takes it, however the answers race), and
 * the data are sent only when the session (who is signed in, whether reads are open) says this
 * reader may read: a server that asks for a token gets no refused requests.
 */
let prefetched = false; // boot.js and app.js both ask; whichever runs first sends, once

export function prefetchOverview() {
  if (prefetched || window.location.pathname !== "/") return;
  prefetched = true;
  readLocation();
  const who = prefetch("/api/session");
  const may = who.then((a) => Boolean(a.open_reads || a.authenticated), () => false);
  prefetch("/api/cockpit/overview", { run: state.run, unit: state.unit }, may);
  prefetch("/api/cockpit/geo", { run: state.run }, may);
  prefetch("/api/cockpit/live", {}, may);
}

/** Drop prefetched answers (after a sign-in, say, when they may have been refused). */
export function forgetPrefetched() {
  early.clear();
}

/**
 * The overview answer for the current run, fetched once per run and language (fills the
 * selectors). It is asked for the current unit, so that the overview needs no second answer.
 */
export async function controls() {
  const key = `${state.run ?? ""}|${state.lang}`;
  if (!state.controls || state.controls.key !== key) {
    let data;
    try {
      data = await api("/api/cockpit/overview", { run: state.run, unit: state.unit });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404 && state.unit)) throw err;
      data = await api("/api/cockpit/overview", { run: state.run }); // a remembered unit the run lacks
    }
    state.controls = { key, data };
  }
  const codes = new Set(state.controls.data.units.map((u) => u.code));
  if (state.unit && !codes.has(state.unit)) {
    state.unit = null; // a remembered unit the chosen run did not score
    localStorage.removeItem(UNIT_KEY);
  }
  setMeasures(state.controls.data.measures);
  fillSelectors(state.controls.data);
  return state.controls.data;
}

function fillSelectors(data) {
  const runSelect = document.getElementById("run-select");
  const unitSelect = document.getElementById("unit-select");
  runSelect.innerHTML = data.runs
    .map((r) => `<option value="${esc(r.id)}">${esc(r.period)} · #${esc(r.id)}</option>`)
    .join("");
  unitSelect.innerHTML = data.units
    .map((u) => `<option value="${esc(u.code)}">${esc(u.name)}</option>`)
    .join("");
  runSelect.disabled = data.runs.length === 0;
  unitSelect.disabled = data.units.length === 0;
  if (data.run) runSelect.value = String(state.run ?? data.run.id);
  const unit = state.unit ?? data.unit?.code;
  if (unit) unitSelect.value = unit;
}

/** Build a URL for ``path`` keeping the run and unit. */
export function here(path, extra = {}) {
  const params = new URLSearchParams();
  if (state.run) params.set("run", state.run);
  if (state.unit) params.set("unit", state.unit);
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined) params.set(k, v);
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}

let renderer = () => {};

/** Register the shell's render function (called on every navigation). */
export function onNavigate(fn) {
  renderer = fn;
}

export function go(url) {
  window.history.pushState({}, "", url);
  renderer();
}

/** Draw the current page again (same URL, no new history entry): live updates of whole pages. */
export function refresh() {
  renderer();
}
