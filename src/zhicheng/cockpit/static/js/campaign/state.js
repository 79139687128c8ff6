// The campaign pages' shared state and helpers (language, API calls, status pills, times,
// navigation). Pages import this module, never the shell (app.js), so that modules form no cycle.
import { esc } from "../format.js";
import { ApiError, request } from "../http.js";
import { translate } from "./i18n.js";

export const LANG_KEY = "zhicheng.lang";

export const state = {
  lang: localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh",
  me: null, // the caller as the notification digest names them: user, role, department
};

export function t(key, vars) {
  return translate(state.lang, key, vars);
}

/** Call the server's API (signed in by the session cookie); ``body`` is FormData (multipart) or an object (JSON). */
export function api(path, options = {}) {
  return request(state.lang, path, options);
}

/** Download an evidence file (signed in by the session cookie) and hand it to the browser as a file to save. */
export async function download(url, filename) {
  const response = await fetch(url, { credentials: "same-origin" }); // the sign-in cookie
  if (!response.ok) throw new ApiError(response.status, response.statusText);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

export function statusPill(status) {
  return `<span class="status ${esc(status)}" data-status="${esc(status)}">${esc(t(`st.${status}`))}</span>`;
}

export function when(value) {
  if (!value) return "—";
  return new Date(value).toLocaleString(state.lang === "en" ? "en-GB" : "zh-CN", { hour12: false });
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

/** A row's unit by name in the page's language (``unit_name_zh``/``unit_name_en``), else its code. */
export function unitName(row) {
  const name = state.lang === "en" ? row.unit_name_en ?? row.unit_name_zh : row.unit_name_zh;
  return name ?? row.unit_code;
}

/** Days left to a deadline as people read them: whole days, or "已逾期 N 天" once it has passed. */
export function daysLeft(days) {
  if (days === null || days === undefined) return "—";
  if (days < 0) return t("overdueDays", { n: Math.ceil(-days) });
  return t("daysN", { n: Math.floor(days) });
}
