// The cockpit's shell: state (run, unit, language), routing, data loading and the header controls.
import * as charts from "./charts.js";
import { esc } from "./format.js";
import { ApiError, TOKEN_KEY } from "./http.js";
import { renderCompare } from "./pages/compare.js";
import { renderNode } from "./pages/node.js";
import { renderOverview } from "./pages/overview.js";
import { renderRanking } from "./pages/ranking.js";
import { renderUnit } from "./pages/unit.js";
import { LANG_KEY, UNIT_KEY, api, forgetPrefetched, go, onNavigate, prefetchOverview, readLocation, state, t } from "./state.js";

const ROUTES = [
  [/^\/$/, () => renderOverview],
  [/^\/ranking$/, () => renderRanking],
  [/^\/compare$/, () => renderCompare],
  [/^\/(domain|requirement|indicator)\/([^/]+)$/, () => renderNode],
  [/^\/unit\/([^/]+)$/, () => renderUnit],
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

function markNav() {
  const path = window.location.pathname;
  for (const a of document.querySelectorAll("[data-nav]")) {
    const current = (a.dataset.nav === "overview" && path === "/") || (a.dataset.nav === "ranking" && path === "/ranking")
      || (a.dataset.nav === "compare" && path === "/compare");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function showError(main, err) {
  if (err instanceof ApiError && err.status === 401) {
    main.innerHTML = `<section class="error"><p>${esc(t("needToken"))}</p>
      <form id="token-form" class="row"><label for="token-input">${esc(t("tokenLabel"))}</label>
      <input id="token-input" type="password" autocomplete="off" required>
      <button type="submit">${esc(t("tokenSave"))}</button></form></section>`;
    document.getElementById("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      localStorage.setItem(TOKEN_KEY, document.getElementById("token-input").value.trim());
      access = null;
      state.controls = null;
      forgetPrefetched();
      render();
    });
    return;
  }
  const key = err instanceof ApiError && err.status === 404 ? "notFound" : "failed";
  main.innerHTML = `<section class="error" role="alert"><p>${esc(t(key, { what: err.message }))}</p>
    <p><a href="/" data-link>${esc(t("nav.overview"))}</a></p></section>`;
}

let generation = 0;
let access = null; // the server's answer to "do reads need a token?", asked once per page load

async function needsToken() {
  if (access === null) access = await api("/api/cockpit/access");
  return !access.open_reads && !access.authenticated;
}

export async function render() {
  const mine = ++generation;
  readLocation();
  applyStaticText();
  markNav();
  charts.disposeAll();
  document.body.dataset.ready = "0";
  delete document.body.dataset.live;
  const main = document.getElementById("main");
  const path = window.location.pathname;
  const route = ROUTES.find(([re]) => re.test(path));
  try {
    if (await needsToken()) throw new ApiError(401, t("needToken"));
    if (!route) throw new ApiError(404, path);
    const match = path.match(route[0]);
    const page = route[1]();
    await page(main, match.slice(1).map(decodeURIComponent), { stale: () => mine !== generation });
    if (mine !== generation) return;
    await charts.allRendered();
  } catch (err) {
    if (mine !== generation) return;
    charts.disposeAll();
    showError(main, err);
    if (!(err instanceof ApiError)) console.warn(err);
  }
  if (mine === generation) {
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
