// A unit's page: index, grade and rank; domain radar; strengths, weaknesses, gaps that lift it most.
import { api, controls, go, here, state, t } from "../state.js";
import * as charts from "../charts.js";
import { amount, esc, link, nodePath, percent, score } from "../format.js";
import { emptyState } from "../components.js";

function indicatorRows(items, withLift) {
  return items.map((i) => {
    const url = here(nodePath("indicator", i.code));
    return `<tr><td>${link(i.name, url)}</td><td class="num">${link(score(i.score), url)}</td>
      <td class="num">${amount(i.raw_value, state.lang)}${i.unit ? ` <span class="muted">${esc(i.unit)}</span>` : ""}</td>
      <td class="num">${amount(i.target, state.lang)}</td>
      ${withLift ? `<td class="num">${amount(i.gap, state.lang)}</td><td class="num">${score(i.lift)}</td>` : `<td class="num">${esc(i.rank ?? "—")}</td>`}</tr>`;
  }).join("");
}

function table(title, id, items, withLift) {
  const head = withLift
    ? `<th scope="col" class="num">${esc(t("gap"))}</th><th scope="col" class="num">${esc(t("lift"))}</th>`
    : `<th scope="col" class="num">${esc(t("rank"))}</th>`;
  return `<section class="card span-4" id="${esc(id)}" aria-labelledby="h-${esc(id)}"><h2 id="h-${esc(id)}">${esc(title)}</h2>
    <table data-testid="${esc(id)}-table"><thead><tr><th scope="col">${esc(t("indicator"))}</th><th scope="col" class="num">${esc(t("score"))}</th>
    <th scope="col" class="num">${esc(t("raw"))}</th><th scope="col" class="num">${esc(t("target"))}</th>${head}</tr></thead>
    <tbody>${indicatorRows(items, withLift) || `<tr><td colspan="6" class="muted">—</td></tr>`}</tbody></table></section>`;
}

export async function renderUnit(main, [code], { stale }) {
  const base = await controls();
  if (base.empty) {
    main.innerHTML = emptyState();
    return;
  }
  const data = await api(`/api/evaluation/units/${encodeURIComponent(code)}`, { run: state.run });
  if (stale()) return;
  const idx = data.index ?? {};
  const next = idx.next_grade ? t("nextGrade", { name: idx.next_grade.name, points: score(idx.next_grade.points_needed) }) : t("topGrade");
  const domains = data.domains.map((d) => {
    const url = here(nodePath("domain", d.code), { unit: code });
    return `<tr><td>${link(d.name, url)}</td><td class="num">${link(score(d.score), url)}</td>
      <td class="num">${d.rank === null ? "—" : link(d.rank, here("/ranking", { code: d.code }))}</td><td class="num">${percent(d.coverage)}</td></tr>`;
  }).join("");
  main.dataset.unit = code;
  main.innerHTML = `<h1 data-testid="unit-title">${esc(data.unit.name)} <span class="muted">${esc(data.unit.code)}${data.unit.group ? ` · ${esc(data.unit.group)}` : ""}</span></h1>
    <section class="kpis">
      <div class="kpi"><div class="label">${esc(t("index"))}</div><div class="value">${link(score(idx.score), here("/", { unit: code }), 'data-testid="unit-index"')}</div></div>
      <div class="kpi"><div class="label">${esc(t("grade"))}</div><div class="value"><a href="#gaps">${esc(idx.grade_name ?? "—")}</a></div><div class="sub">${esc(next)}</div></div>
      <div class="kpi"><div class="label">${esc(t("rank"))}</div><div class="value">${link(idx.rank ?? "—", here("/ranking"), 'data-testid="unit-rank"')}</div>
        <div class="sub">${esc(t("rankOf", { n: idx.units_ranked ?? "—" }))}</div>
        ${idx.rank_interval ? `<div class="sub">${esc(t("interval"))}: ${esc(idx.rank_interval[0])}–${esc(idx.rank_interval[1])}</div>` : ""}</div>
      <div class="kpi"><div class="label">${esc(t("coverage"))}</div><div class="value">${percent(idx.coverage)}</div></div>
    </section>
    <div class="grid" style="margin-top:14px">
      <section class="card span-6" aria-labelledby="h-radar"><h2 id="h-radar">${esc(t("radar"))}</h2><div id="unit-radar" class="chart tall"></div></section>
      <section class="card span-6" aria-labelledby="h-dom"><h2 id="h-dom">${esc(t("domain"))}</h2>
        <table data-testid="unit-domains"><thead><tr><th scope="col">${esc(t("domain"))}</th><th scope="col" class="num">${esc(t("score"))}</th>
        <th scope="col" class="num">${esc(t("rank"))}</th><th scope="col" class="num">${esc(t("coverage"))}</th></tr></thead><tbody>${domains}</tbody></table></section>
      ${table(t("strengths"), "strengths", data.strengths, false)}
      ${table(t("weaknesses"), "weaknesses", data.weaknesses, false)}
      ${table(t("gaps"), "gaps", data.gaps, true)}
    </div>`;
  charts.radar(document.getElementById("unit-radar"), {
    axes: data.domains.map((d) => ({ code: d.code, name: d.name })),
    series: [{ name: data.unit.name, values: data.domains.map((d) => d.score) }],
    label: t("radar"),
    onAxis: (a) => go(here(nodePath("domain", a.code), { unit: code })),
  });
}
