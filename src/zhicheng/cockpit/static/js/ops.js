// Pieces the operations pages share: AQI levels, the sign-in prompt, role checks, pagination.
import { esc, link } from "./format.js";
import { api, here, state, t } from "./state.js";

// HJ 633 AQI levels: upper bound and the official colour (HJ 633-2012 Table 2 / HJ 633-2026 Table 1).
export const AQI_LEVELS = [
  { level: 1, lo: 0, hi: 50, colour: "#00e400" }, { level: 2, lo: 51, hi: 100, colour: "#ffff00" },
  { level: 3, lo: 101, hi: 150, colour: "#ff7e00" }, { level: 4, lo: 151, hi: 200, colour: "#ff0000" },
  { level: 5, lo: 201, hi: 300, colour: "#99004c" }, { level: 6, lo: 301, hi: null, colour: "#7e0023" },
];

/** The HJ 633 level (1–6) of an AQI, 0 when there is none. */
export function aqiLevel(aqi) {
  if (aqi === null || aqi === undefined) return 0;
  return (AQI_LEVELS.find((l) => l.hi === null || aqi <= l.hi) ?? AQI_LEVELS[5]).level;
}

export function aqiColourOf(aqi) {
  const level = aqiLevel(aqi);
  return level ? AQI_LEVELS[level - 1].colour : "#666666";
}

/** An AQI pill in its level's colour (a class, no inline style). */
export function aqiPill(aqi) {
  return `<span class="pill aqi aqi-${esc(aqiLevel(aqi))}">${esc(aqi ?? "—")}</span>`;
}

/** The HJ 633 levels as a table: range, level, category, colour. */
export function aqiLegend() {
  const rows = AQI_LEVELS.map((l) => `<tr><td class="num">${esc(l.lo)}–${esc(l.hi ?? "…")}</td><td>${esc(t("levelN", { n: l.level }))}</td>
    <td>${esc(t(`level.${l.level}`))}</td><td><span class="swatch aqi-${esc(l.level)}" title="${esc(l.colour)}"></span></td></tr>`).join("");
  return `<table data-testid="aqi-levels"><thead><tr><th scope="col" class="num">${esc(t("aqiRange"))}</th>
    <th scope="col">${esc(t("aqiLevel"))}</th><th scope="col">${esc(t("aqiCategory"))}</th><th scope="col">${esc(t("aqiColour"))}</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

/** The path and query of this page, for the sign-in page to come back to. */
export function currentPath() {
  return window.location.pathname + window.location.search + window.location.hash;
}

export function signinUrl(next = currentPath()) {
  return `/signin?next=${encodeURIComponent(next)}`;
}

/** True when the signed-in caller holds one of ``roles`` (admin holds every role). */
export function hasRole(...roles) {
  const role = state.session?.role;
  return Boolean(role) && (role === "admin" || roles.includes(role));
}

/** The notice an anonymous reader (or a role without access) sees instead of the page. */
export function signinPrompt(main, roleNeeded = false) {
  const text = roleNeeded && state.session?.authenticated
    ? t("signinNeedRole", { role: t(`role.${state.session.role}`) }) : t("signinPrompt");
  main.innerHTML = `<section class="empty signin" data-testid="signin-prompt"><h1>${esc(t("signinTitle"))}</h1>
    <p>${esc(text)}</p>${roleNeeded && state.session?.authenticated ? "" : `<p>${link(t("signinLink"), signinUrl(), 'data-testid="signin-link"')}</p>`}</section>`;
}

/** Roles that may read city events (as the events API lets them). */
/** The events workflow's open and closed states, as the event list's status filter names them. */
export const OPEN_STATES = "submitted,accepted,dispatched,in_progress,reopened";
export const CLOSED_STATES = "resolved,closed,rejected";

export const EVENT_READERS = ["operator", "analyst", "viewer"];

/** Links to the previous and next page of a list answer ``{total, limit, offset}``. */
export function pager(path, params, answer) {
  const { total, limit, offset } = answer;
  if (total <= limit) return "";
  const at = (o) => here(path, { ...params, offset: o > 0 ? o : null });
  const prev = offset > 0 ? link(t("prev"), at(Math.max(0, offset - limit)), 'data-testid="prev"') : "";
  const next = offset + limit < total ? link(t("next"), at(offset + limit), 'data-testid="next"') : "";
  return `<nav class="pager" aria-label="${esc(t("filters"))}"><span class="muted">${esc(t("pageOf", { a: offset + 1, b: Math.min(total, offset + limit) }))}</span>${prev}${next}</nav>`;
}

let catalogue = null; // {lang, list, byCode}

/** The city's event types (GET /api/events/catalogue) in the page's language, fetched once per language. */
export async function eventCatalogue() {
  if (!catalogue || catalogue.lang !== state.lang) {
    const list = await api("/api/events/catalogue");
    catalogue = { lang: state.lang, list, byCode: Object.fromEntries(list.map((s) => [s.code, s])) };
  }
  return catalogue;
}
