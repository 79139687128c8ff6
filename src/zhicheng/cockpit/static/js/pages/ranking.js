// The ranking table: every unit on the index or on one domain; sortable columns, search box.
import { api, controls, go, here, state, t } from "../state.js";
import { esc, link, nodePath, score } from "../format.js";
import { emptyState, exportLinks, gradeCell } from "../components.js";

const COLUMNS = [
  { key: "rank", num: true }, { key: "name", num: false }, { key: "group", num: false },
  { key: "score", num: true }, { key: "grade_name", num: false },
];

function compare(key, dir) {
  return (a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y), state.lang === "en" ? "en" : "zh-CN");
    return dir === "ascending" ? order : -order;
  };
}

function body(data, rows) {
  return rows.map((r) => {
    const url = here(`/unit/${encodeURIComponent(r.unit_code)}`, { unit: r.unit_code });
    const interval = data.has_intervals && r.rank_interval ? `${esc(r.rank_interval[0])}–${esc(r.rank_interval[1])}` : "";
    return `<tr data-unit="${esc(r.unit_code)}"><td class="num">${esc(r.rank ?? "—")}</td>
      ${data.has_intervals ? `<td class="num opt" data-testid="interval">${interval}</td>` : ""}
      <td>${link(r.name, url)} <span class="muted opt">${esc(r.unit_code)}</span></td><td class="opt">${esc(r.group ?? "")}</td>
      <td class="num">${link(score(r.score), data.node.level === "index" ? url : here(nodePath(data.node.level, data.node.code), { unit: r.unit_code }))}</td>
      <td class="grade">${esc(gradeCell(r))}</td></tr>`;
  }).join("");
}

export async function renderRanking(main, _args, { stale }) {
  const base = await controls();
  if (base.empty) {
    main.innerHTML = emptyState();
    return;
  }
  const code = new URLSearchParams(window.location.search).get("code");
  const data = await api("/api/evaluation/ranking", { run: state.run, code });
  if (stale()) return;
  const params = new URLSearchParams(window.location.search);
  const groups = [...new Set(data.rows.map((r) => r.group).filter(Boolean))].sort((a, b) => a.localeCompare(b, "zh-CN"));
  const group = groups.includes(params.get("group")) ? params.get("group") : "";
  const options = base.scores.codes.map((c, i) => `<option value="${esc(c)}"${c === data.node.code ? " selected" : ""}>${esc(base.scores.names[i])}</option>`).join("");
  // On a phone the optional columns (interval, group, code) give way: the search and the filter find them.
  const heads = COLUMNS.map((c) => `<th scope="col" class="${c.num ? "num" : ""}${c.key === "group" ? " opt" : ""}" data-key="${esc(c.key)}" aria-sort="none">
    <button type="button" class="sort">${esc(t({ rank: "rank", name: "unit", group: "group", score: "score", grade_name: "grade" }[c.key]))}</button></th>`);
  if (data.has_intervals) heads.splice(1, 0, `<th scope="col" class="num opt">${esc(t("interval"))}</th>`);
  main.innerHTML = `<h1>${esc(t("ranking"))} · ${esc(data.node.name)} <span class="muted">${esc(data.run.period)}</span></h1>
    <div class="row"><label for="rank-by">${esc(t("rankingOf"))}</label><select id="rank-by">${options}</select>
      <label for="rank-group">${esc(t("province"))}</label><select id="rank-group" data-testid="ranking-province">
        <option value="">${esc(t("allProvinces"))}</option>${groups.map((g) => `<option value="${esc(g)}"${g === group ? " selected" : ""}>${esc(g)}</option>`).join("")}</select>
      <span class="spacer"></span><label for="rank-search">${esc(t("search"))}</label>
      <input id="rank-search" type="search" placeholder="${esc(t("searchPlaceholder"))}" data-testid="ranking-search"></div>
    <section class="card" style="margin-top:12px">${exportLinks("ranking", { code: data.node.code })}<table data-testid="full-ranking"><caption class="sr-only">${esc(t("ranking"))}</caption>
      <thead><tr>${heads.join("")}</tr></thead><tbody id="rank-body">${body(data, data.rows)}</tbody></table></section>`;
  let sort = { key: "rank", dir: "ascending" };
  const chosenGroup = () => document.getElementById("rank-group").value;
  const refresh = () => {
    const q = document.getElementById("rank-search").value.trim().toLowerCase();
    const rows = data.rows
      .filter((r) => !chosenGroup() || r.group === chosenGroup())
      .filter((r) => !q || r.name.toLowerCase().includes(q) || r.unit_code.toLowerCase().includes(q) || (r.group ?? "").toLowerCase().includes(q))
      .sort(compare(sort.key, sort.dir));
    document.getElementById("rank-body").innerHTML = body(data, rows);
    for (const th of main.querySelectorAll("th[data-key]")) {
      th.setAttribute("aria-sort", th.dataset.key === sort.key ? sort.dir : "none");
    }
  };
  for (const th of main.querySelectorAll("th[data-key]")) {
    th.querySelector("button").addEventListener("click", () => {
      const dir = sort.key === th.dataset.key && sort.dir === "ascending" ? "descending" : "ascending";
      sort = { key: th.dataset.key, dir };
      refresh();
    });
  }
  document.getElementById("rank-search").addEventListener("input", refresh);
  document.getElementById("rank-group").addEventListener("change", (e) => {
    // The filter is part of the address (a deep link keeps it) without reloading the data.
    const url = new URL(window.location.href);
    if (e.target.value) url.searchParams.set("group", e.target.value);
    else url.searchParams.delete("group");
    window.history.replaceState({}, "", url.pathname + url.search);
    refresh();
  });
  document.getElementById("rank-by").addEventListener("change", (e) => go(here("/ranking", { code: e.target.value, group: chosenGroup() || null })));
  refresh();
}
