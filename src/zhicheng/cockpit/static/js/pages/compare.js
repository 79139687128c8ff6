// The comparison (单元对比): 2–5 units side by side on the index and each domain.
import * as charts from "../charts.js";
import { emptyState, exportLinks, scoreOrNoData } from "../components.js";
import { esc, link, nodePath } from "../format.js";
import { controls, go, here, state, t } from "../state.js";

export const MAX_UNITS = 5;

function chosenUnits(base) {
  const known = new Set(base.units.map((u) => u.code));
  const asked = (new URLSearchParams(window.location.search).get("units") ?? "").split(",").filter((c) => known.has(c));
  if (asked.length) return [...new Set(asked)].slice(0, MAX_UNITS);
  // Without a choice: the current unit and the two best ranked others.
  const first = state.unit ?? base.unit?.code;
  const others = base.ranking.map((r) => r.unit_code).filter((c) => c !== first);
  return [first, ...others].filter(Boolean).slice(0, 3);
}

function options(units, value) {
  return units.map((u) => `<option value="${esc(u.code)}"${u.code === value ? " selected" : ""}>${esc(u.name)}</option>`).join("");
}

function pickers(base, chosen) {
  const slots = [...Array(MAX_UNITS).keys()];
  return slots.map((i) => `<label class="pick"><span>${esc(t("compareUnit", { n: i + 1 }))}</span>
    <select data-testid="compare-pick" data-slot="${esc(i)}"><option value="">—</option>${options(base.units, chosen[i] ?? "")}</select></label>`).join("");
}

export async function renderCompare(main, _args, { stale }) {
  const base = await controls();
  if (base.empty) {
    main.innerHTML = emptyState();
    return;
  }
  if (stale()) return;
  const chosen = chosenUnits(base);
  const names = Object.fromEntries(base.units.map((u) => [u.code, u.name]));
  const codes = base.scores.codes;
  const rows = codes.map((code, slot) => {
    const level = slot === 0 ? null : "domain";
    const title = level ? link(base.scores.names[slot], here(nodePath(level, code))) : esc(base.scores.names[slot]);
    const cells = chosen.map((u) => `<td class="num" data-unit="${esc(u)}">${esc(scoreOrNoData(base.scores.units[u]?.[slot]))}</td>`).join("");
    return `<tr data-code="${esc(code)}"><th scope="row">${title}</th>${cells}</tr>`;
  }).join("");
  const heads = chosen.map((u) => `<th scope="col" class="num">${link(names[u] ?? u, here(`/unit/${encodeURIComponent(u)}`, { unit: u }))}</th>`).join("");
  main.innerHTML = `<h1>${esc(t("compare"))} <span class="muted">${esc(base.run.period)}</span></h1>
    <p class="muted">${esc(t("compareHint"))}</p>
    <form class="row wrap" id="compare-form">${pickers(base, chosen)}</form>
    ${chosen.length < 2 ? `<p class="muted" data-testid="compare-need">${esc(t("compareNeed"))}</p>` : ""}
    <div class="grid" style="margin-top:12px">
      <section class="card span-7" aria-labelledby="h-cmp-chart"><h2 id="h-cmp-chart">${esc(t("score"))} · ${esc(t("domain"))}</h2>
        <div id="compare-bars" class="chart tall" data-testid="compare-bars"></div></section>
      <section class="card span-5" aria-labelledby="h-cmp-table"><h2 id="h-cmp-table">${esc(t("compare"))}</h2>${exportLinks("compare", { units: chosen.join(",") })}
        <div class="scroll"><table data-testid="compare-table" data-export="compare"><thead><tr><th scope="col">${esc(t("domain"))}</th>${heads}</tr></thead>
        <tbody>${rows}</tbody></table></div></section>
    </div>`;
  charts.groupedBars(document.getElementById("compare-bars"), {
    categories: codes.map((code, slot) => ({ code, name: base.scores.names[slot], slot })),
    series: chosen.map((u) => ({ name: names[u] ?? u, values: codes.map((_, slot) => base.scores.units[u]?.[slot] ?? null) })),
    label: t("compare"),
    noDataText: t("noData"),
    onCategory: (c) => c.slot > 0 && go(here(nodePath("domain", c.code))),
  });
  for (const select of main.querySelectorAll("[data-testid=compare-pick]")) {
    select.addEventListener("change", () => {
      const picked = [...main.querySelectorAll("[data-testid=compare-pick]")].map((s) => s.value).filter(Boolean);
      go(here("/compare", { units: [...new Set(picked)].join(",") }));
    });
  }
}
