// Small helpers: escaping, number formatting and links that keep the chosen run and unit.

import { escapeHtml } from "./dom.js";

// The pages' short name for the shared escape.
export { escapeHtml as esc };

/** A score [0–100 points] with one decimal, or a dash. */
export function score(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(1);
}

/** A raw indicator value with up to 2 decimals, grouped in the page's language. */
export function amount(value, lang) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(lang === "en" ? "en-US" : "zh-CN", { maximumFractionDigits: 2 }).format(value);
}

export function percent(share) {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(0)}%`;
}

export function nodePath(level, code) {
  return `/${level}/${encodeURIComponent(code)}`;
}

/** A link kept inside the page; ``attrsHtml`` is attribute markup written by the page, never data. */
export function link(text, url, attrsHtml = "") {
  return `<a href="${escapeHtml(url)}" data-link ${attrsHtml}>${escapeHtml(text)}</a>`;
}
