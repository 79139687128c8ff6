// Drill-down: a domain → its requirements → their indicators → an indicator's values.
import { api, controls, go, here, state, t } from "../state.js";
import * as charts from "../charts.js";
import { amount, decimalsOf, esc, link, nodePath, percent, rounded, score, scoreValue, signed, unitLabel } from "../format.js";
import { emptyState, exportLinks } from "../components.js";

const CHILD_LEVEL = { index: "domain", domain: "requirement", requirement: "indicator" };

/** An indicator's unit of measure in the page's language. */
function measureName(node) {
  return node.unit_label ?? unitLabel(node.unit);
}

function crumbs(node) {
  const items = node.path.map((p, i) => {
    const last = i === node.path.length - 1;
    const url = p.level === "index" ? here("/") : here(nodePath(p.level, p.code));
    return `<li>${last ? `<span aria-current="page">${esc(p.name)}</span>` : link(p.name, url)}</li>`;
  }).join("");
  return `<nav aria-label="${esc(t("crumbs"))}"><ol class="crumbs">${items}</ol></nav>`;
}

function summary(data) {
  const own = data.own;
  if (!own) return `<p class="muted">${esc(t("notScored"))}</p>`;
  const unitUrl = here(`/unit/${encodeURIComponent(data.unit.code)}`);
  const rankUrl = here("/ranking", { code: data.node.code });
  const extra = data.node.level === "indicator"
    ? `<div class="kpi"><div class="label">${esc(t("raw"))}${data.node.unit ? ` [${esc(measureName(data.node))}]` : ""}</div>
        <div class="value"><a href="#values" data-testid="kpi-raw">${amount(own.raw_value, state.lang, data.node.unit)}</a></div>
        <div class="sub">${esc(t("valuePeriod"))} ${esc(own.value_period ?? "—")} · ${esc(t("target"))} ${amount(own.target ?? data.node.target, state.lang, data.node.unit)}</div></div>`
    : "";
  return `<section class="kpis">
    <div class="kpi"><div class="label">${esc(t("unit"))}</div><div class="value">${link(data.unit.name, unitUrl)}</div></div>
    <div class="kpi"><div class="label">${esc(t("score"))}</div>
      <div class="value">${link(score(own.score), "#across", 'data-testid="kpi-score"')}</div></div>
    <div class="kpi"><div class="label">${esc(t("rank"))}</div>
      <div class="value">${link(own.rank ?? "—", rankUrl, 'data-testid="kpi-rank"')}</div>
      <div class="sub">${esc(t("rankOf", { n: data.across.length }))}</div></div>
    <div class="kpi"><div class="label">${esc(t("coverage"))}</div>
      <div class="value"><a href="#values">${percent(own.coverage)}</a></div></div>
    ${extra}${trendKpi(data)}
  </section>`;
}

/** Change since the run's base period (raw value for an indicator, else the score) and CAGR. */
function trendKpi(data) {
  const own = data.own;
  if (own.change === null || own.change === undefined) return "";
  const indicator = data.node.level === "indicator";
  const places = indicator ? decimalsOf(data.node.unit) : 1;
  const base = data.run.base_period;
  const cagr = own.cagr === null || own.cagr === undefined ? "" : ` · ${esc(t("cagr"))} ${esc(signed(own.cagr * 100, 1, state.lang))}%`;
  return `<div class="kpi"><div class="label">${esc(t("change"))}${base ? ` (${esc(t("changeSince", { base }))})` : ""}</div>
    <div class="value" data-testid="kpi-change">${esc(signed(own.change, places, state.lang))}</div>
    <div class="sub">${indicator && data.node.unit ? esc(measureName(data.node)) : esc(t("score"))}${cagr}</div></div>`;
}

function trendCard(data) {
  return `<section class="card span-6" aria-labelledby="h-trend"><h2 id="h-trend">${esc(t("trend"))}</h2>
    <div id="node-trend" class="chart" data-testid="node-trend"></div>
    <p class="muted">${esc(data.trend.length > 1 ? t("trendNote") : t("onePeriod"))}</p></section>`;
}

function childrenTable(data) {
  const level = CHILD_LEVEL[data.node.level];
  if (!level) return "";
  const rows = data.children.map((c) => {
    const url = here(nodePath(c.level ?? level, c.code));
    return `<tr><td>${link(c.code, url)}</td><td>${link(c.name, url, `data-testid="child-link" data-code="${esc(c.code)}"`)}</td>
      <td class="num">${link(score(c.score), url)}</td>
      <td class="num">${c.rank === null ? "—" : link(c.rank, here("/ranking", { code: c.code }))}</td>
      <td class="num">${percent(c.coverage)}</td></tr>`;
  }).join("");
  return `<section class="card span-6" aria-labelledby="h-children"><h2 id="h-children">${esc(t("children"))} · ${esc(t(level))}</h2>${exportLinks("node-children", { code: data.node.code, unit: data.unit?.code })}
    <div id="children-bars" class="chart"></div>
    <table data-testid="children-table"><thead><tr><th scope="col">${esc(t("code"))}</th><th scope="col">${esc(t(level))}</th>
    <th scope="col" class="num">${esc(t("score"))}</th><th scope="col" class="num">${esc(t("rank"))}</th>
    <th scope="col" class="num">${esc(t("coverage"))}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function acrossTable(data) {
  const raw = data.node.level === "indicator";
  const rows = data.across.map((r) => {
    const url = here(nodePath(data.node.level, data.node.code), { unit: r.unit_code });
    const current = r.unit_code === data.unit?.code ? ' class="current"' : "";
    return `<tr${current}><td class="num">${esc(r.rank ?? "—")}</td>
      <td>${link(r.name, here(`/unit/${encodeURIComponent(r.unit_code)}`, { unit: r.unit_code }))}</td>
      <td class="num">${link(score(r.score), url)}</td>${raw ? `<td class="num">${amount(r.raw_value, state.lang, data.node.unit)}</td>` : ""}</tr>`;
  }).join("");
  return `<section class="card span-6" id="across" aria-labelledby="h-across"><h2 id="h-across">${esc(t("across"))}</h2>${exportLinks("node-across", { code: data.node.code, unit: data.unit?.code })}
    <div id="across-bars" class="chart"></div>
    <div class="scroll"><table data-testid="across-table"><thead><tr><th scope="col" class="num">${esc(t("rank"))}</th>
    <th scope="col">${esc(t("unit"))}</th><th scope="col" class="num">${esc(t("score"))}</th>
    ${raw ? `<th scope="col" class="num">${esc(t("raw"))}</th>` : ""}</tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function overTimeCard(v) {
  const unitText = v.indicator.unit ? ` [${esc(measureName(v.indicator))}]` : "";
  return `<section class="card span-6" id="values" aria-labelledby="h-time"><h2 id="h-time">${esc(t("overTime"))} · ${esc(v.unit?.name ?? "")}${unitText}</h2>${exportLinks("values-over-time", { code: v.indicator.code, unit: v.unit?.code })}
      <div id="values-line" class="chart" data-testid="values-line"></div>
      <table data-testid="values-table"><thead><tr><th scope="col">${esc(t("period"))}</th><th scope="col" class="num">${esc(t("value"))}</th>
      <th scope="col">${esc(t("batch"))}</th></tr></thead><tbody>${v.over_time.map((p) => `<tr><td>${esc(p.period)}</td>
      <td class="num">${amount(p.value, state.lang, v.indicator.unit)}</td><td>#${esc(p.batch_id)}</td></tr>`).join("")}</tbody></table></section>`;
}

function valuesSection(v) {
  // Sources and who ingested them are names as recorded (translate="no"), not interface words.
  const kindName = (kind) => (t(`kind.${kind}`) === `kind.${kind}` ? kind : t(`kind.${kind}`));
  const batches = v.batches.map((b) => `<tr><td>#${esc(b.id)}</td><td translate="no">${esc(b.source)}</td><td>${esc(kindName(b.kind))}</td>
    <td>${esc((b.ingested_at ?? "").slice(0, 19).replace("T", " "))}</td><td translate="no">${esc(b.ingested_by)}</td>
    <td class="num">${esc(b.row_count)}</td><td translate="no"><code title="${esc(b.checksum)}">${esc(b.checksum.slice(0, 12))}</code></td></tr>`).join("");
  const coverage = v.coverage.map((c) => `<tr><td>${esc(c.period)}</td><td class="num">${esc(c.units)}${c.of ? ` / ${esc(c.of)}` : ""}</td>
    <td class="num">${percent(c.share)}</td></tr>`).join("");
  const across = v.across_units.map((r) => `<tr><td>${link(r.name, here(`/unit/${encodeURIComponent(r.unit_code)}`, { unit: r.unit_code }))}</td>
    <td class="num">${amount(r.value, state.lang, v.indicator.unit)}</td><td>#${esc(r.batch_id)}</td></tr>`).join("");
  const unitText = v.indicator.unit ? ` [${esc(measureName(v.indicator))}]` : "";
  return `<section class="card span-6" aria-labelledby="h-units"><h2 id="h-units">${esc(t("acrossUnits", { period: v.period ?? "—" }))}${unitText}</h2>${exportLinks("values-across", { code: v.indicator.code, period: v.period })}
      <div class="scroll"><table data-testid="values-across"><thead><tr><th scope="col">${esc(t("unit"))}</th>
      <th scope="col" class="num">${esc(t("value"))}</th><th scope="col">${esc(t("batch"))}</th></tr></thead><tbody>${across}</tbody></table></div></section>
    <section class="card span-6" aria-labelledby="h-cov"><h2 id="h-cov">${esc(t("coverage"))}</h2>${exportLinks("coverage", { code: v.indicator.code })}
      <table data-testid="coverage-table"><thead><tr><th scope="col">${esc(t("period"))}</th><th scope="col" class="num">${esc(t("units"))}</th>
      <th scope="col" class="num">${esc(t("share"))}</th></tr></thead><tbody>${coverage}</tbody></table></section>
    <section class="card span-6" aria-labelledby="h-src"><h2 id="h-src">${esc(t("source"))}</h2>${exportLinks("batches", { code: v.indicator.code, unit: v.unit?.code })}
      <div class="scroll"><table data-testid="batches-table"><thead><tr><th scope="col">${esc(t("batch"))}</th><th scope="col">${esc(t("file"))}</th>
      <th scope="col">${esc(t("kind"))}</th><th scope="col">${esc(t("ingestedAt"))}</th><th scope="col">${esc(t("by"))}</th><th scope="col" class="num">${esc(t("rows"))}</th>
      <th scope="col">${esc(t("checksum"))}</th></tr></thead><tbody>${batches}</tbody></table></div></section>`;
}

function indicatorFacts(node) {
  if (node.level !== "indicator") return "";
  const dir = node.direction === -1 ? t("lowerBetter") : t("higherBetter");
  return `<p class="muted">${esc(t("definition"))}: ${esc(node.definition_text ?? node.definition ?? "—")} · ${esc(t("direction"))}: ${esc(dir)}
    ${node.unit ? ` · [${esc(measureName(node))}]` : ""}</p>`;
}

export async function renderNode(main, [level, code], { stale }) {
  const base = await controls();
  if (base.empty) {
    main.innerHTML = emptyState();
    return;
  }
  const unit = state.unit ?? base.unit?.code;
  const [data, values] = await Promise.all([
    api(`/api/evaluation/nodes/${encodeURIComponent(code)}`, { run: state.run, unit }),
    level === "indicator" ? api(`/api/evaluation/indicators/${encodeURIComponent(code)}/values`, { run: state.run, unit }) : null,
  ]);
  if (stale()) return;
  main.dataset.node = data.node.code;
  main.innerHTML = `${crumbs(data.node)}<h1 data-testid="node-title">${esc(data.node.name)} <span class="muted">${esc(data.node.code)}</span></h1>
    ${indicatorFacts(data.node)}${summary(data)}
    <div class="grid" style="margin-top:14px">${values ? overTimeCard(values) : childrenTable(data)}${acrossTable(data)}
    ${trendCard(data)}${values ? valuesSection(values) : ""}</div>`;
  charts.line(document.getElementById("node-trend"), {
    x: data.trend.map((p) => p.period),
    y: data.trend.map((p) => scoreValue(p.score)),
    name: t("score"),
    label: t("trend"),
    noDataText: t("noData"),
  });
  const childEl = document.getElementById("children-bars");
  if (childEl && data.children.length) {
    charts.bars(childEl, {
      items: data.children.map((c) => ({ code: c.code, level: c.level, name: c.name, value: c.score })),
      label: t("children"),
      onBar: (item) => go(here(nodePath(item.level, item.code))),
      noDataText: t("noData"),
    });
  }
  charts.bars(document.getElementById("across-bars"), {
    items: data.across.map((r) => ({ code: r.unit_code, name: r.name, value: r.score })),
    label: t("across"),
    onBar: (item) => go(here(`/unit/${encodeURIComponent(item.code)}`, { unit: item.code })),
    noDataText: t("noData"),
  });
  if (values) {
    charts.line(document.getElementById("values-line"), {
      x: values.over_time.map((p) => p.period),
      y: values.over_time.map((p) => rounded(p.value, decimalsOf(values.indicator.unit))),
      name: values.indicator.name,
      label: t("overTime"),
      target: values.indicator.target,
      format: (value) => amount(value, state.lang, values.indicator.unit),
      noDataText: t("noData"),
    });
  }
}
