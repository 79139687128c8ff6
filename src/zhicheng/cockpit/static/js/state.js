// The cockpit's shared state (run, unit, language) and what every page uses: words, API calls,
// links that keep the run and unit, navigation and the header's selectors. Pages import this
// module, never the shell (app.js), so that modules form no cycle.
import { esc, setMeasures } from "./format.js";
import { request } from "./http.js";
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

/** GET a JSON resource of the server's API, with the language and (when saved) the token. */
export function api(path, params = {}) {
  return request(state.lang, path, { params });
}

/** The overview answer for the current run, fetched once per run and language (fills the selectors). */
export async function controls() {
  const key = `${state.run ?? ""}|${state.lang}`;
  if (!state.controls || state.controls.key !== key) {
    const data = await api("/api/cockpit/overview", { run: state.run });
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
