// My assignments (我的任务): the notification digest and every indicator × unit the caller must fill in.
import { amount, esc } from "../format.js";
import { api, daysLeft, state, statusPill, t, unitName, when } from "./state.js";

function formLink(item) {
  const q = new URLSearchParams({ indicator: item.indicator_id, unit: item.unit_code });
  const editable = ["missing", "draft", "returned"].includes(item.status);
  return `<a href="/campaigns/${esc(item.campaign_id)}/submit?${esc(q)}" data-link data-testid="fill-${esc(item.indicator_id)}-${esc(item.unit_code)}">${esc(t(editable ? "fill" : "view"))}</a>`;
}

function digestPanel(digest) {
  const c = digest.counts;
  const kpi = (key, n, testid) => `<div class="kpi"><div class="label">${esc(t(key))}</div>
    <div class="value" data-testid="${esc(testid)}">${esc(n)}</div></div>`;
  const returned = digest.returned.map((r) => `<div class="notice bad" data-testid="returned-notice">
      <strong>${esc(r.indicator_name)}</strong> · ${esc(unitName(r))} — ${esc(t("reason"))}: ${esc(r.return_reason ?? "")}
      ${formLink(r)}</div>`).join("");
  const review = digest.to_review.map((r) => `<div class="notice">
      <a href="/campaigns/${esc(r.campaign_id)}" data-link>${esc(r.campaign)}</a>: ${esc(t("toReview"))} ${esc(r.waiting)}
      ${r.overdue_departments.length ? ` · ${esc(t("overdue"))}: ${r.overdue_departments.map(esc).join("、")}` : ""}</div>`).join("");
  return `<section class="card" aria-labelledby="digest-h"><h2 id="digest-h">${esc(t("digest"))}</h2>
    <div class="kpis">${kpi("due", c.due, "count-due")}${kpi("overdue", c.overdue, "count-overdue")}
    ${kpi("returned", c.returned, "count-returned")}${kpi("toReview", c.to_review, "count-review")}</div>
    ${returned}${review}</section>`;
}

function itemsTable(items) {
  if (!items.length) return `<p class="empty">${esc(t("nothingDue"))}</p>`;
  const rows = items.map((r) => `<tr data-testid="assignment" data-indicator="${esc(r.indicator_id)}" data-unit="${esc(r.unit_code)}">
      <td>${esc(r.campaign)} <span class="muted">${esc(r.period)}</span></td>
      <td>${esc(r.indicator_name)} <span class="muted">${esc(r.indicator_id)}</span></td><td>${esc(unitName(r))}</td>
      <td>${statusPill(r.status)}${r.overdue ? ` <span class="status overdue">${esc(t("overdue"))}</span>` : ""}</td>
      <td class="num">${amount(r.value, state.lang)}</td><td>${esc(when(r.deadline))}</td>
      <td class="num${r.days_left < 0 ? " bad" : ""}" data-testid="days-left">${esc(daysLeft(r.days_left))}</td><td>${formLink(r)}</td></tr>`).join("");
  return `<table data-testid="my-assignments"><caption class="sr-only">${esc(t("mineTitle"))}</caption><thead><tr>
    <th scope="col">${esc(t("campaign"))}</th><th scope="col">${esc(t("indicator"))}</th><th scope="col">${esc(t("unit"))}</th>
    <th scope="col">${esc(t("status"))}</th><th scope="col" class="num">${esc(t("value"))}</th>
    <th scope="col">${esc(t("deadline"))}</th><th scope="col" class="num">${esc(t("daysLeft"))}</th><th scope="col"></th>
    </tr></thead><tbody>${rows}</tbody></table>`;
}

export async function renderMine(main, _args, { stale }) {
  const digest = await api("/api/campaigns/notifications");
  state.me = digest;
  const items = digest.role === "analyst" || digest.role === "admin" ? await api("/api/campaigns/mine") : [];
  if (stale()) return;
  main.innerHTML = `<h1>${esc(t("mineTitle"))}</h1><div class="stack">${digestPanel(digest)}
    <section class="card">${itemsTable(items)}</section></div>`;
}
