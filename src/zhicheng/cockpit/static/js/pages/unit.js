// A unit's page: index, grade and rank; domain radar; strengths, weaknesses, gaps that lift it most.
import { UNIT_KEY, api, controls, go, here, state, t } from "../state.js";
import * as charts from "../charts.js";
import { amount, esc, link, nodePath, percent, score, scoreValue, signed, unitLabel } from "../format.js";
import { emptyState, exportLinks, gradeText, scoreOrNoData } from "../components.js";
import { request } from "../http.js";

let unitCode = null; // the page's unit (its tables' exports name it)

// The report button: queue a city report (/api/reports), poll its job, offer the file.
const REPORT_WORDS = {
  zh: { make: "生成评估报告 (PDF)", queued: "排队中…", running: "正在生成…", done: "下载报告", failed: "生成失败" },
  en: { make: "Make the evaluation report (PDF)", queued: "Queued…", running: "Rendering…", done: "Download the report", failed: "Failed" },
};
const POLL_MS = 1000;

async function download(job) {
  const response = await fetch(job.download, { credentials: "same-origin" }); // the sign-in cookie
  if (!response.ok) throw new Error(response.statusText);
  return URL.createObjectURL(await response.blob());
}

function reportButton(box, code) {
  const words = REPORT_WORDS[state.lang] ?? REPORT_WORDS.zh;
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.testid = "report-button";
  button.textContent = words.make;
  const status = document.createElement("span");
  status.setAttribute("role", "status");
  status.dataset.testid = "report-status";
  status.className = "muted";
  box.replaceChildren(button, document.createTextNode(" "), status);
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.replaceChildren(document.createTextNode(words.queued));
    try {
      let job = await request(state.lang, "/api/reports", {
        method: "POST", body: { kind: "city", unit: code, run: state.run, lang: state.lang, format: "pdf" },
      });
      while (job.status === "queued" || job.status === "running") {
        status.textContent = words[job.status];
        await new Promise((done) => setTimeout(done, POLL_MS));
        job = await request(state.lang, `/api/reports/${encodeURIComponent(job.id)}`);
      }
      if (job.status !== "done") throw new Error(job.error ?? words.failed);
      const link = document.createElement("a");
      link.href = await download(job);
      link.download = `report-${code}-${state.lang}.pdf`;
      link.dataset.testid = "report-download";
      link.textContent = words.done;
      status.replaceChildren(link);
    } catch (error) {
      status.textContent = `${words.failed}: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });
}

function indicatorRows(items, withLift) {
  return items.map((i) => {
    const url = here(nodePath("indicator", i.code));
    return `<tr><td>${link(i.name, url)}</td><td class="num">${link(score(i.score), url)}</td>
      <td class="num">${amount(i.raw_value, state.lang, i.unit)}${i.unit ? ` <span class="muted">${esc(i.unit_label ?? unitLabel(i.unit))}</span>` : ""}</td>
      <td class="num">${amount(i.target, state.lang, i.unit)}</td>
      ${withLift ? `<td class="num">${amount(i.gap, state.lang, i.unit)}</td><td class="num">${score(i.lift)}</td>` : `<td class="num">${esc(i.rank ?? "—")}</td>`}</tr>`;
  }).join("");
}

function indicatorTable(title, id, items, withLift, emptyText) {
  const head = withLift
    ? `<th scope="col" class="num">${esc(t("gap"))}</th><th scope="col" class="num">${esc(t("lift"))}</th>`
    : `<th scope="col" class="num">${esc(t("rank"))}</th>`;
  return `<section class="card span-4" id="${esc(id)}" aria-labelledby="h-${esc(id)}"><h2 id="h-${esc(id)}">${esc(title)}</h2>${exportLinks("indicators", { unit: unitCode })}
    <table data-testid="${esc(id)}-table"><thead><tr><th scope="col">${esc(t("indicator"))}</th><th scope="col" class="num">${esc(t("score"))}</th>
    <th scope="col" class="num">${esc(t("raw"))}</th><th scope="col" class="num">${esc(t("target"))}</th>${head}</tr></thead>
    <tbody>${indicatorRows(items, withLift) || `<tr><td colspan="6" class="muted" data-testid="${esc(id)}-empty">${esc(emptyText ?? t("noneListed"))}</td></tr>`}</tbody></table></section>`;
}

function childrenSection(children) {
  if (!children || children.units.length === 0) return "";
  const rows = children.units.map((c) => {
    const values = c.values.map((v) => `${esc(v.name)} ${esc(amount(v.value, state.lang, v.unit))}${v.unit ? ` ${esc(v.unit_label ?? unitLabel(v.unit))}` : ""} <span class="muted">(${esc(v.period)})</span>`).join("；");
    return `<tr data-unit="${esc(c.code)}"><td>${esc(c.name)}</td><td class="num">${esc(score(c.score))}</td><td>${values || "—"}</td></tr>`;
  }).join("");
  return `<section class="card span-12" aria-labelledby="h-sub"><h2 id="h-sub">${esc(t("subUnits"))}</h2>${exportLinks("sub-units", { unit: unitCode })}
    <div class="scroll"><table data-testid="sub-units" data-export="sub-units"><thead><tr><th scope="col">${esc(t("unit"))}</th>
    <th scope="col" class="num">${esc(t("index"))}</th><th scope="col">${esc(t("valueLatest"))}</th></tr></thead>
    <tbody>${rows}</tbody></table></div></section>`;
}

export async function renderUnit(main, [code], { stale }) {
  const base = await controls();
  if (base.empty) {
    main.innerHTML = emptyState();
    return;
  }
  const data = await api(`/api/evaluation/units/${encodeURIComponent(code)}`, { run: state.run });
  if (stale()) return;
  // The page's unit becomes the current unit (the header's selector shows it, links keep it).
  state.unit = code;
  localStorage.setItem(UNIT_KEY, code);
  const select = document.getElementById("unit-select");
  if ([...select.options].some((o) => o.value === code)) select.value = code;
  unitCode = code;
  const idx = data.index ?? {};
  const grade = gradeText(data.index);
  const since0 = data.trend.base_period ?? data.run.base_period;
  const since = since0 ? ` <span class="muted">(${esc(t("changeSince", { base: since0 }))})</span>` : "";
  const domains = data.domains.map((d) => {
    const url = here(nodePath("domain", d.code), { unit: code });
    return `<tr><td>${link(d.name, url)}</td><td class="num">${link(scoreOrNoData(d.score), url)}</td>
      <td class="num">${d.rank === null ? "—" : link(d.rank, here("/ranking", { code: d.code }))}</td><td class="num">${percent(d.coverage)}</td>
      <td class="num" data-testid="domain-change">${signed(d.change, 1, state.lang)}</td></tr>`;
  }).join("");
  main.dataset.unit = code;
  main.innerHTML = `<h1 data-testid="unit-title">${esc(data.unit.name)} <span class="muted">${esc(data.unit.code)}${data.unit.group ? ` · ${esc(data.unit.group)}` : ""}</span></h1>
    <section class="kpis">
      <div class="kpi"><div class="label">${esc(t("index"))}</div><div class="value">${link(score(idx.score), here("/", { unit: code }), 'data-testid="unit-index"')}</div>
        ${idx.change !== null && idx.change !== undefined ? `<div class="sub" data-testid="unit-change">${esc(t("change"))} ${esc(signed(idx.change, 1, state.lang))}${since0 ? ` · ${esc(t("changeSince", { base: since0 }))}` : ""}</div>` : ""}</div>
      <div class="kpi"><div class="label">${esc(t("grade"))}</div><div class="value"><a href="#gaps" data-testid="unit-grade">${esc(grade.value)}</a></div><div class="sub">${esc(grade.sub)}</div></div>
      <div class="kpi"><div class="label">${esc(t("rank"))}</div><div class="value">${link(idx.rank ?? "—", here("/ranking"), 'data-testid="unit-rank"')}</div>
        <div class="sub">${esc(t("rankOf", { n: idx.units_ranked ?? "—" }))}</div>
        ${idx.rank_interval ? `<div class="sub">${esc(t("interval"))}: ${esc(idx.rank_interval[0])}–${esc(idx.rank_interval[1])}</div>` : ""}</div>
      <div class="kpi"><div class="label">${esc(t("coverage"))}</div><div class="value">${percent(idx.coverage)}</div></div>
    </section>
    <p id="unit-report" class="report-action"></p>
    <div class="grid" style="margin-top:14px">
      <section class="card span-6" aria-labelledby="h-radar"><h2 id="h-radar">${esc(t("radar"))}</h2><div id="unit-radar" class="chart tall" data-testid="radar"></div><p class="muted small" id="radar-missing" data-testid="radar-missing"></p></section>
      <section class="card span-6" aria-labelledby="h-dom"><h2 id="h-dom">${esc(t("domain"))}</h2>${exportLinks("domains", { unit: code })}
        <table data-testid="unit-domains"><thead><tr><th scope="col">${esc(t("domain"))}</th><th scope="col" class="num">${esc(t("score"))}</th>
        <th scope="col" class="num">${esc(t("rank"))}</th><th scope="col" class="num">${esc(t("coverage"))}</th>
        <th scope="col" class="num">${esc(t("change"))}${since}</th></tr></thead><tbody>${domains}</tbody></table></section>
      <section class="card span-12" aria-labelledby="h-trend"><h2 id="h-trend">${esc(t("trend"))}</h2>
        <div id="unit-trend" class="chart" data-testid="unit-trend"></div><p class="muted">${esc(data.trend.periods.length > 1 ? t("trendNote") : t("onePeriod"))}</p></section>
      ${childrenSection(data.children)}
      ${indicatorTable(t("strengths"), "strengths", data.strengths, false)}
      ${indicatorTable(t("weaknesses"), "weaknesses", data.weaknesses, false)}
      ${indicatorTable(t("gaps"), "gaps", data.gaps, true, data.at_top_grade ? t("topGradeGaps") : undefined)}
    </div>`;
  const trend = data.trend;
  charts.line(document.getElementById("unit-trend"), {
    x: trend.periods,
    y: trend.series[0]?.scores.map(scoreValue) ?? [],
    name: trend.series[0]?.name ?? t("index"),
    label: t("trend"),
    noDataText: t("noData"),
    series: trend.series.slice(1).filter((s) => s.scores.some((v) => v !== null)).map((s) => ({ name: s.name, data: s.scores.map((v) => (v === null ? "-" : scoreValue(v))) })),
  });
  reportButton(document.getElementById("unit-report"), code);
  charts.radar(document.getElementById("unit-radar"), {
    axes: data.domains.map((d) => ({ code: d.code, name: d.name })),
    series: [{ name: data.unit.name, values: data.domains.map((d) => d.score) }],
    label: t("radar"),
    onAxis: (a) => go(here(nodePath("domain", a.code), { unit: code })),
    noDataText: t("noData"),
    noDataEl: document.getElementById("radar-missing"),
  });
}
