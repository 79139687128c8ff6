// Small helpers: escaping, number formatting and links that keep the chosen run and unit.
//
// Every number people read passes through this module: a value is rounded once, from its exact
// binary value, half away from zero (Number.prototype.toFixed), to the decimals of its unit of
// measure (scores: one decimal). zhicheng.views.numbers applies the same rule on the server
// (exports, reports), so a chart's label, the table beside it and an export always agree.

import { escapeHtml } from "./dom.js";

// The pages' short name for the shared escape.
export { escapeHtml as esc };

/** Decimals of scores [points, 0–100]; of values whose unit of measure is not known. */
export const SCORE_DECIMALS = 1;
export const DEFAULT_DECIMALS = 2;

// Units of measure as the server lists them: code → {label, decimals} (in the page's language).
let measures = {};

/** Take the server's list of units of measure (the overview answer's ``measures``). */
export function setMeasures(table) {
  measures = table ?? {};
}

/** How many decimals values of ``unit`` are shown with. */
export function decimalsOf(unit) {
  return measures[unit]?.decimals ?? DEFAULT_DECIMALS;
}

/** The unit of measure's label in the page's language (the code when unlisted). */
export function unitLabel(unit) {
  if (!unit) return "";
  return measures[unit]?.label ?? unit;
}

function missing(value) {
  return value === null || value === undefined || value === "" || Number.isNaN(Number(value));
}

/** ``value`` rounded to ``places`` decimals (the one rounding rule); null stays null. */
export function rounded(value, places) {
  if (missing(value)) return null;
  return Number(Number(value).toFixed(places));
}

/** ``value`` as text with exactly ``places`` decimals, grouped in the page's language, or a dash. */
export function fixed(value, places, lang = "zh") {
  const r = rounded(value, places);
  if (r === null) return "—";
  return new Intl.NumberFormat(lang === "en" ? "en-US" : "zh-CN", {
    minimumFractionDigits: places, maximumFractionDigits: places,
  }).format(r);
}

/** ``value`` rounded to ``places`` decimals, shown without trailing zeros (grouped), or a dash. */
export function trimmed(value, places, lang = "zh") {
  const r = rounded(value, places);
  if (r === null) return "—";
  return new Intl.NumberFormat(lang === "en" ? "en-US" : "zh-CN", { maximumFractionDigits: places }).format(r);
}

/** A score [0–100 points] with one decimal, or a dash. */
export function score(value) {
  return missing(value) ? "—" : Number(value).toFixed(SCORE_DECIMALS);
}

/** A score rounded as :func:`score` shows it, as a number (for charts). */
export function scoreValue(value) {
  return rounded(value, SCORE_DECIMALS);
}

/** A raw indicator value with the decimals of its unit of measure, grouped in the page's language. */
export function amount(value, lang, unit) {
  return fixed(value, unit === undefined ? DEFAULT_DECIMALS : decimalsOf(unit), lang);
}

/**
 * A pollutant concentration as HJ 663-2013 §5.2 reports it: mg/m³ (CO) to one decimal, µg/m³
 * (the others) as whole numbers; ``unit`` is the unit's symbol.
 */
export function concentration(value, lang, unit) {
  return fixed(value, unit === "mg/m³" || unit === "mg/m3" ? 1 : 0, lang);
}

/** A share [0–1] as a whole percentage. */
export function percent(share) {
  return missing(share) ? "—" : `${(share * 100).toFixed(0)}%`;
}

/** A signed change with ``places`` decimals ("+1.2", "−0.4"). */
export function signed(value, places, lang = "zh") {
  if (missing(value)) return "—";
  const r = rounded(value, places);
  const text = fixed(Math.abs(r), places, lang);
  return r > 0 ? `+${text}` : r < 0 ? `−${text}` : text;
}

export function nodePath(level, code) {
  return `/${level}/${encodeURIComponent(code)}`;
}

/** A link kept inside the page; ``attrsHtml`` is attribute markup written by the page, never data. */
export function link(text, url, attrsHtml = "") {
  return `<a href="${escapeHtml(url)}" data-link ${attrsHtml}>${escapeHtml(text)}</a>`;
}
