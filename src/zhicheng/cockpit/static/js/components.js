// Pieces more than one page shows: the empty-workspace notice, AQI colours.
import { esc, score } from "./format.js";
import { state, t } from "./state.js";

// HJ 633 AQI levels: upper bound and the official colour (HJ 633-2012 Table 2 / HJ 633-2026 Table 1).
const AQI_COLOURS = [[50, "#00e400"], [100, "#ffff00"], [150, "#ff7e00"], [200, "#ff0000"], [300, "#99004c"], [Infinity, "#7e0023"]];

export function aqiColour(aqi) {
  return AQI_COLOURS.find(([hi]) => aqi <= hi)[1];
}

export function emptyState() {
  return `<section class="empty" data-testid="empty-state">
    <h1>${esc(t("emptyTitle"))}</h1>
    <p>${esc(t("emptyBody"))}</p>
    <ol>
      <li>${esc(t("emptyStep1"))} <code>zhicheng ingest &lt;file&gt; --mapping &lt;mapping.yaml&gt;</code></li>
      <li>${esc(t("emptyStep2"))} <code>zhicheng evaluate --period 2020</code></li>
      <li>${esc(t("emptyStep3"))} <code>zhicheng demo</code></li>
    </ol>
  </section>`;
}


/** The grade of an index entry as people read it: the grade, else "not graded" with the reason. */
export function gradeText(idx) {
  if (!idx) return { value: "—", sub: "" };
  if (idx.grade_name) {
    const sub = idx.at_top_grade || !idx.next_grade
      ? t("topGrade")
      : t("nextGrade", { name: idx.next_grade.name, points: score(idx.next_grade.points_needed) });
    return { value: idx.grade_name, sub };
  }
  const why = idx.grade_status_name ?? "";
  const prov = idx.provisional_grade_name ? t("provisional", { name: idx.provisional_grade_name }) : "";
  return { value: t("gradeNone"), sub: [why, prov].filter(Boolean).join(" · ") };
}

/** A cell's text for a score that may be missing ("暂无数据" rather than a bare dash). */
export function scoreOrNoData(value) {
  return value === null || value === undefined ? t("noData") : score(value);
}

/** A ranking row's grade in a table cell: the grade, else the provisional one marked as such. */
export function gradeCell(row) {
  if (row.grade_name) return row.grade_name;
  return row.provisional_grade_name ? t("provShort", { name: row.provisional_grade_name }) : "—";
}

/**
 * Links that download a table as CSV and XLSX (server exports: headers in the page's language,
 * rounded values, units of measure, the source of every value). ``params`` name what the table
 * shows (run, unit, code, period, units); the run and language are added here.
 */
export function exportLinks(table, params = {}) {
  const query = new URLSearchParams({ lang: state.lang });
  if (state.run) query.set("run", state.run);
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") query.set(k, v);
  const one = (fmt) => `<a class="export" href="${esc(`/api/export/${encodeURIComponent(table)}.${fmt}?${query}`)}"
    download="${esc(`${table}.${fmt}`)}" data-testid="${esc(`export-${table}-${fmt}`)}">${esc(t("export", { fmt: fmt.toUpperCase() }))}</a>`;
  return `<span class="exports">${one("csv")}${one("xlsx")}</span>`;
}
