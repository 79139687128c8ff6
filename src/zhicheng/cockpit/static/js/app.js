// The cockpit's shell: state (run, unit, language), routing, data loading and the header controls.
import * as charts from "./charts.js";
import { esc } from "./format.js";
import { ApiError, keepSession, loadSession, signOut } from "./http.js";
import { clearLive } from "./live.js";
import { signinPrompt, signinUrl } from "./ops.js";
import { renderOverview } from "./pages/overview.js";
import { LANG_KEY, UNIT_KEY, api, forgetPrefetched, go, onNavigate, prefetchOverview, readLocation, state, t } from "./state.js";

// [path, page, public]: public pages are readable without sign-in when the server's open_reads is on.
// The overview is part of the shell; every other page's module is loaded when it is first shown.
const ROUTES = [
  [/^\/$/, async () => renderOverview, true],
  [/^\/ranking$/, async () => (await import("./pages/ranking.js")).renderRanking, true],
  [/^\/compare$/, async () => (await import("./pages/compare.js")).renderCompare, true],
  [/^\/(domain|requirement|indicator)\/([^/]+)$/, async () => (await import("./pages/node.js")).renderNode, true],
  [/^\/unit\/([^/]+)$/, async () => (await import("./pages/unit.js")).renderUnit, true],
  [/^\/station\/([^/]+)$/, async () => (await import("./pages/station.js")).renderStation, true],
  [/^\/alerts$/, async () => (await import("./pages/alerts.js")).renderAlerts, true],
  [/^\/alert\/([^/]+)$/, async () => (await import("./pages/alerts.js")).renderAlert, true],
  // the events page itself asks for a role that may read events
  [/^\/events$/, async () => (await import("./pages/events.js")).renderEvents, true],
  [/^\/event\/([^/]+)$/, async () => (await import("./pages/events.js")).renderEvent, true],
  [/^\/predict$/, async () => (await import("./pages/predict.js")).renderPredict, true],
  [/^\/signin$/, async () => (await import("./pages/signin.js")).renderSignin, true],
];

function applyStaticText() {
  document.documentElement.lang = state.lang === "en" ? "en" : "zh-CN";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  const button = document.getElementById("lang-switch");
  button.textContent = t("otherLang");
  button.setAttribute("aria-label", t("switchTo"));
  button.setAttribute("lang", state.lang === "en" ? "zh-CN" : "en");
  document.title = `${t("brand")} · zhicheng 智城`;
}

const NAV_PATHS = { overview: /^\/$/, ranking: /^\/ranking$/, compare: /^\/compare$/, events: /^\/events?(\/|$)/, alerts: /^\/alerts?(\/|$)/, predict: /^\/predict$/ };

// Pages that show evaluation results: only they use the header's period and unit selectors.
const EVALUATION_PAGES = /^\/($|ranking$|compare$|domain\/|requirement\/|indicator\/|unit\/)/;

/** Show the period and unit selectors on the pages that use them, hide them elsewhere. */
function scopeControls() {
  const hidden = !EVALUATION_PAGES.test(window.location.pathname);
  for (const id of ["run-select", "unit-select"]) {
    document.getElementById(id).hidden = hidden;
    document.querySelector(`label[for="${id}"]`).hidden = hidden;
  }
}

function markNav() {
  const path = window.location.pathname;
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (NAV_PATHS[a.dataset.nav]?.test(path)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/** The header's sign-in state: who is signed in and a sign-out button, or a sign-in link. */
function showWho() {
  const who = document.getElementById("who");
  const session = state.session;
  if (session?.authenticated) {
    who.innerHTML = `<span data-testid="who">${esc(t("signinAs", { name: session.name, role: t(`role.${session.role}`) }))}</span>
      ${session.via === "cookie" ? `<button type="button" id="sign-out" data-testid="sign-out">${esc(t("nav.signout"))}</button>` : ""}`;
    document.getElementById("sign-out")?.addEventListener("click", async () => {
      await signOut(state.lang);
      state.session = await loadSession(state.lang);
      state.controls = null;
      forgetPrefetched();
      go("/");
    });
  } else {
    const back = window.location.pathname === "/signin" ? "/" : window.location.pathname + window.location.search;
    who.innerHTML = `<a href="${esc(signinUrl(back))}" data-link data-testid="signin-nav">${esc(t("nav.signin"))}</a>`;
  }
}

let sessionLoad = null; // the one GET /api/session in flight: renders that overlap share it

async function session() {
  if (state.session === null) {
    // the answer the boot module asked for, if it did
    sessionLoad ??= api("/api/session").then((answer) => {
      state.session = keepSession(answer);
      state.timeZone = answer.time_zone ?? state.timeZone;
    }).finally(() => { sessionLoad = null; });
    await sessionLoad;
  }
  return state.session;
}

function showError(main, err) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    // never a 401 body: the reader is asked to sign in (and comes back here afterwards)
    signinPrompt(main, err.status === 403);
    return;
  }
  const key = err instanceof ApiError && err.status === 404 ? "notFound" : "failed";
  main.innerHTML = `<section class="error" role="alert"><p>${esc(t(key, { what: err.message }))}</p>
    <p><a href="/" data-link>${esc(t("nav.overview"))}</a></p></section>`;
}

let generation = 0;

export async function render() {
  const mine = ++generation;
  readLocation();
  applyStaticText();
  markNav();
  scopeControls();
  charts.disposeAll();
  clearLive();
  document.body.dataset.ready = "0";
  delete document.body.dataset.live;
  const main = document.getElementById("main");
  const path = window.location.pathname;
  const route = ROUTES.find(([re]) => re.test(path));
  try {
    const who = await session();
    if (mine !== generation) return;
    showWho();
    if (!route) throw new ApiError(404, path);
    const isSignin = path === "/signin";
    if (!isSignin && !who.authenticated && (!who.open_reads || !route[2])) {
      signinPrompt(main);
    } else {
      const match = path.match(route[0]);
      const page = await route[1]();
      await page(main, match.slice(1).map(decodeURIComponent), {
        stale: () => mine !== generation,
        onSignedIn: () => { state.controls = null; },
      });
    }
    if (mine !== generation) return;
    await charts.allRendered();
  } catch (err) {
    if (mine !== generation) return;
    charts.disposeAll();
    showError(main, err);
    if (!(err instanceof ApiError)) console.warn(err);
  }
  if (mine === generation) {
    forgetPrefetched(); // an answer fetched early and not taken would be stale on a later page
    document.body.dataset.ready = "1";
    performance.mark("zhicheng:charts-rendered");
  }
}

function onLinkClick(event) {
  const a = event.target.closest("a[data-link]");
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(a.href, window.location.origin);
  if (url.origin !== window.location.origin) return;
  event.preventDefault();
  go(url.pathname + url.search + url.hash);
}

function setup() {
  prefetchOverview();
  onNavigate(render);
  document.addEventListener("click", onLinkClick);
  // The header's selectors act on change; the form itself never submits.
  document.getElementById("controls").addEventListener("submit", (e) => e.preventDefault());
  window.addEventListener("popstate", render);
  window.addEventListener("resize", () => charts.resizeAll());
  document.getElementById("lang-switch").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "zh" : "en";
    localStorage.setItem(LANG_KEY, state.lang);
    render();
  });
  document.getElementById("run-select").addEventListener("change", (e) => {
    state.run = e.target.value;
    state.unit = null;
    localStorage.removeItem(UNIT_KEY);
    go(`/?run=${encodeURIComponent(state.run)}`);
  });
  document.getElementById("unit-select").addEventListener("change", (e) => {
    state.unit = e.target.value;
    localStorage.setItem(UNIT_KEY, state.unit);
    const url = new URL(window.location.href);
    url.searchParams.set("unit", state.unit);
    if (state.run) url.searchParams.set("run", state.run);
    go(url.pathname + url.search);
  });
  render();
}

setup();
