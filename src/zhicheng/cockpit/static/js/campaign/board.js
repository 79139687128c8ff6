// The progress board (进度看板): campaigns, progress per department and indicator, bulk review.
import { amount, esc } from "../format.js";
import { api, go, state, statusPill, t, unitName, when } from "./state.js";

function bar(share) {
  const pct = Math.round((share ?? 0) * 100);
  return `<span class="bar-track" aria-hidden="true"><span class="bar-fill" style="width:${pct}%"></span></span>${pct}%`;
}

export async function renderCampaigns(main, _args, { stale }) {
  const list = await api("/api/campaigns");
  if (stale()) return;
  const rows = list.map((c) => `<tr data-testid="campaign-row"><td><a href="/campaigns/${esc(c.id)}" data-link>${esc(c.name)}</a></td>
    <td>${esc(c.period)}</td><td>${esc(when(c.deadline))}</td><td>${esc(t(c.status))}</td><td class="num">${esc(c.assignments)}</td>
    <td>${Object.entries(c.submissions).map(([s, n]) => `${statusPill(s)} ${esc(n)}`).join(" ")}</td></tr>`).join("");
  main.innerHTML = `<h1>${esc(t("boardTitle"))}</h1><section class="card"><table data-testid="campaigns">
    <thead><tr><th scope="col">${esc(t("campaign"))}</th><th scope="col">${esc(t("period"))}</th>
    <th scope="col">${esc(t("deadline"))}</th><th scope="col">${esc(t("status"))}</th><th scope="col" class="num">${esc(t("indicators"))}</th>
    <th scope="col">${esc(t("status"))}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function progressTable(rows, withIndicator, testid) {
  const head = `<th scope="col">${esc(t("department"))}</th>${withIndicator ? `<th scope="col">${esc(t("indicator"))}</th>` : ""}
    <th scope="col" class="num">${esc(t("expected"))}</th><th scope="col" class="num">${esc(t("missing"))}</th>
    <th scope="col" class="num">${esc(t("st.draft"))}</th><th scope="col" class="num">${esc(t("handedIn"))}</th>
    <th scope="col" class="num">${esc(t("st.returned"))}</th><th scope="col" class="num">${esc(t("approvedN"))}</th>
    <th scope="col">${esc(t("completion"))}</th><th scope="col" class="num">${esc(t("overdue"))}</th>`;
  const body = rows.map((r) => `<tr data-department="${esc(r.department)}"${withIndicator ? ` data-indicator="${esc(r.indicator_id)}"` : ""}>
    <td>${esc(r.department)}</td>${withIndicator ? `<td>${esc(r.indicator_name)} <span class="muted">${esc(r.indicator_id)}</span></td>` : ""}
    <td class="num">${esc(r.expected)}</td><td class="num">${esc(r.missing)}</td><td class="num">${esc(r.draft)}</td>
    <td class="num">${esc(r.submitted + r.resubmitted)}</td><td class="num">${esc(r.returned)}</td><td class="num" data-testid="approved">${esc(r.approved)}</td>
    <td data-testid="completion">${bar(r.completion)}</td><td class="num${r.overdue ? " bad" : ""}">${esc(r.overdue)}</td></tr>`).join("");
  return `<table data-testid="${esc(testid)}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function reviewSection(cid, waiting) {
  if (!waiting.length) return `<section class="card"><h2>${esc(t("review"))}</h2><p class="muted">${esc(t("noneWaiting"))}</p></section>`;
  const rows = waiting.map((s) => `<tr data-submission="${esc(s.id)}"><td><input type="checkbox" name="sid" value="${esc(s.id)}"
      aria-label="${esc(s.indicator_id)} ${esc(unitName(s))}"></td><td>${esc(s.indicator_id)}</td><td>${esc(unitName(s))}</td>
      <td>${esc(s.department)}</td><td class="num">${amount(s.value, state.lang)}</td><td>${statusPill(s.status)}</td>
      <td>${esc(s.submitted_by ?? "")}</td><td class="num">${esc(s.evidence_count)}</td></tr>`).join("");
  return `<section class="card"><h2>${esc(t("review"))}</h2><form id="review-form">
    <table data-testid="review-table"><thead><tr><th scope="col"><input type="checkbox" id="select-all" aria-label="${esc(t("selectAll"))}"></th>
    <th scope="col">${esc(t("indicator"))}</th><th scope="col">${esc(t("unit"))}</th><th scope="col">${esc(t("department"))}</th>
    <th scope="col" class="num">${esc(t("value"))}</th><th scope="col">${esc(t("status"))}</th><th scope="col">${esc(t("submittedBy"))}</th>
    <th scope="col" class="num">${esc(t("evidence"))}</th></tr></thead><tbody>${rows}</tbody></table>
    <div class="actions"><button type="button" class="primary" id="approve-btn">${esc(t("approve"))}</button>
    <label for="return-reason">${esc(t("returnReason"))}</label><input id="return-reason" name="reason">
    <button type="button" id="return-btn">${esc(t("returnSel"))}</button></div>
    <p id="review-msg" role="status"></p></form></section>`;
}

function wireReview(main, cid) {
  const form = main.querySelector("#review-form");
  if (!form) return;
  const selected = () => [...form.querySelectorAll("input[name=sid]:checked")].map((x) => Number(x.value));
  form.querySelector("#select-all").addEventListener("change", (e) => {
    for (const box of form.querySelectorAll("input[name=sid]")) box.checked = e.target.checked;
  });
  const act = async (path, body) => {
    const msg = form.querySelector("#review-msg");
    try {
      await api(`/api/campaigns/${cid}/${path}`, { method: "POST", body });
      go(`/campaigns/${cid}`);
    } catch (err) {
      msg.textContent = err.message;
      msg.setAttribute("role", "alert");
    }
  };
  form.querySelector("#approve-btn").addEventListener("click", () => act("approve", { submission_ids: selected() }));
  form.querySelector("#return-btn").addEventListener("click", () => act("return", {
    submission_ids: selected(), reason: form.querySelector("#return-reason").value,
  }));
}

export async function renderBoard(main, [cid], { stale }) {
  const board = await api(`/api/campaigns/${cid}/progress`);
  const reviews = state.me && (state.me.role === "reviewer" || state.me.role === "admin");
  const waiting = reviews ? [
    ...(await api(`/api/campaigns/${cid}/submissions`, { params: { status: "submitted" } })),
    ...(await api(`/api/campaigns/${cid}/submissions`, { params: { status: "resubmitted" } })),
  ] : [];
  if (stale()) return;
  const c = board.campaign;
  main.innerHTML = `<h1>${esc(c.name)} <span class="muted">${esc(c.period)} · ${esc(t("deadline"))} ${esc(when(c.deadline))}</span></h1>
    <div class="stack"><section class="card"><h2>${esc(t("departments"))}</h2>
    <p>${esc(t("completion"))}: <strong data-testid="total-completion">${esc(Math.round(board.totals.completion * 100))}%</strong>
    · ${esc(t("overdue"))}: <strong data-testid="total-overdue">${esc(board.totals.overdue)}</strong></p>
    ${progressTable(board.departments, false, "department-progress")}</section>
    <section class="card"><h2>${esc(t("indicators"))}</h2>${progressTable(board.indicators, true, "indicator-progress")}</section>
    ${reviews ? reviewSection(cid, waiting) : ""}</div>`;
  wireReview(main, cid);
}
