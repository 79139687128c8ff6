// The campaign pages' shell (城市自评): language, token, API calls, routing between the three pages.
import { esc } from "../format.js";
import { ApiError, loadSession, signIn, signOut } from "../http.js";
import { renderBoard, renderCampaigns } from "./board.js";
import { renderMine } from "./mine.js";
import { renderSubmit } from "./submit.js";
import { LANG_KEY, api, go, onNavigate, state, t } from "./state.js";

const ROUTES = [
  [/^\/campaigns\/mine$/, renderMine, "mine"],
  [/^\/campaigns\/(\d+)\/submit$/, renderSubmit, "mine"],
  [/^\/campaigns\/(\d+)$/, renderBoard, "board"],
  [/^\/campaigns$/, renderCampaigns, "board"],
];

function applyStaticText() {
  document.documentElement.lang = state.lang === "en" ? "en" : "zh-CN";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  const button = document.getElementById("lang-switch");
  button.textContent = t("otherLang");
  button.setAttribute("aria-label", t("switchTo"));
  document.title = `${t("brand")} · zhicheng 智城`;
}

function showTokenForm(main) {
  main.innerHTML = `<section class="error"><p>${esc(t("needToken"))}</p>
    <form id="token-form" class="row"><label for="token-input">${esc(t("tokenLabel"))}</label>
    <input id="token-input" type="password" autocomplete="off" required>
    <button type="submit">${esc(t("tokenSave"))}</button></form></section>`;
  document.getElementById("token-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    // the token is exchanged for an HTTP-only session cookie; the page keeps no token
    const field = document.getElementById("token-input");
    document.body.dataset.ready = "0"; // busy until the signed-in page is drawn
    try {
      await signIn(state.lang, field.value.trim());
    } catch (err) {
      showError(main, err instanceof ApiError && err.status === 401 ? new ApiError(403, t("needToken")) : err);
      document.body.dataset.ready = "1";
      return;
    }
    field.value = "";
    state.me = null;
    render();
  });
}

function showError(main, err) {
  if (err instanceof ApiError && err.status === 401) {
    showTokenForm(main);
    return;
  }
  const key = err instanceof ApiError && err.status === 403 ? "forbidden" : err instanceof ApiError && err.status === 404 ? "notFound" : "failed";
  main.innerHTML = `<section class="error" role="alert"><p>${esc(t(key, { what: err.message }))}</p></section>`;
}

async function whoAmI() {
  if (!state.me) state.me = await api("/api/campaigns/notifications");
  const who = document.getElementById("who");
  who.textContent = `${state.me.user} · ${t(`role.${state.me.role}`) === `role.${state.me.role}` ? state.me.role : t(`role.${state.me.role}`)}${state.me.department ? ` · ${state.me.department}` : ""}`;
  document.getElementById("sign-out").hidden = false;
  return state.me;
}

let generation = 0;

export async function render() {
  const mine = ++generation;
  applyStaticText();
  document.body.dataset.ready = "0";
  const main = document.getElementById("main");
  const path = window.location.pathname.replace(/\/$/, "") || "/campaigns";
  const route = ROUTES.find(([re]) => re.test(path));
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (route && a.dataset.nav === route[2]) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  try {
    if (!route) throw new ApiError(404, path);
    if (!(await loadSession(state.lang)).authenticated) throw new ApiError(401, "token");
    await whoAmI();
    await route[1](main, path.match(route[0]).slice(1), { stale: () => mine !== generation });
  } catch (err) {
    if (mine !== generation) return;
    showError(main, err);
    if (!(err instanceof ApiError)) console.warn(err);
  }
  if (mine === generation) document.body.dataset.ready = "1";
}

function onLinkClick(event) {
  const a = event.target.closest("a[data-link]");
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(a.href, window.location.origin);
  if (url.origin !== window.location.origin || !url.pathname.startsWith("/campaigns")) return;
  event.preventDefault();
  go(url.pathname + url.search);
}

function setup() {
  onNavigate(render);
  document.addEventListener("click", onLinkClick);
  window.addEventListener("popstate", render);
  document.getElementById("lang-switch").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "zh" : "en";
    localStorage.setItem(LANG_KEY, state.lang);
    render();
  });
  document.getElementById("sign-out").addEventListener("click", async () => {
    await signOut(state.lang);
    state.me = null;
    document.getElementById("who").textContent = "";
    document.getElementById("sign-out").hidden = true;
    render();
  });
  render();
}

setup();
