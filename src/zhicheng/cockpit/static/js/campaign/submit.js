// The submission form (填报): value or checklist answer with maturity level, comment, evidence upload.
import { esc } from "../format.js";
import { api, download, go, statusPill, t, when } from "./state.js";

const EDITABLE = ["draft", "returned"];

function field(id, label, inputHtml) {
  return `<label for="${esc(id)}">${esc(label)}</label>${inputHtml}`;
}

function checklistFields(sub, grades, disabledHtml) {
  const options = grades.map((g) => `<option value="${esc(g.level)}"${sub?.maturity === g.level ? " selected" : ""}>${esc(g.level)} · ${esc(g.name)}</option>`).join("");
  return field("answer", t("answer"), `<textarea id="answer" name="answer" ${disabledHtml}>${esc(sub?.answer ?? "")}</textarea>`)
    + field("items_met", t("itemsMet"), `<input id="items_met" name="items_met" type="number" min="0" step="1" value="${esc(sub?.items_met ?? "")}" ${disabledHtml}>`)
    + field("items_total", t("itemsTotal"), `<input id="items_total" name="items_total" type="number" min="1" step="1" value="${esc(sub?.items_total ?? "")}" ${disabledHtml}>`)
    + field("maturity", t("maturity"), `<select id="maturity" name="maturity" ${disabledHtml}><option value=""></option>${options}</select>`);
}

function evidenceList(sub, editable) {
  if (!sub || !sub.evidence.length) return `<p class="muted" data-testid="no-evidence">${esc(t("noEvidence"))}</p>`;
  const rows = sub.evidence.map((e) => `<li data-testid="evidence-item" data-sha256="${esc(e.sha256)}">
    <button type="button" data-download="${esc(e.url)}" data-name="${esc(e.filename)}">${esc(t("download"))}</button>
    ${editable ? `<button type="button" data-remove="${esc(e.url)}">${esc(t("remove"))}</button>` : ""}
    <span data-testid="evidence-name">${esc(e.filename)}</span> <span class="muted">${esc(e.media_type)} · ${esc(e.size.toLocaleString())} B ·
    sha256 ${esc(e.sha256.slice(0, 12))}…</span></li>`).join("");
  return `<ul class="plain">${rows}</ul>`;
}

function historyTable(sub) {
  if (!sub) return "";
  const rows = sub.history.map((h) => `<tr><td>${esc(when(h.at))}</td><td>${esc(h.actor)}</td><td>${esc(h.action)}</td>
    <td>${h.from_status ? statusPill(h.from_status) : ""} → ${statusPill(h.to_status)}</td>
    <td>${esc(h.detail?.reason ?? "")}</td></tr>`).join("");
  return `<section class="card"><h2>${esc(t("history"))}</h2><table data-testid="history"><thead><tr><th scope="col">${esc(t("at"))}</th>
    <th scope="col">${esc(t("actor"))}</th><th scope="col">${esc(t("action"))}</th><th scope="col">${esc(t("status"))}</th>
    <th scope="col">${esc(t("reason"))}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

async function findSubmission(cid, indicator, unit) {
  const list = await api(`/api/campaigns/${cid}/submissions`);
  const found = list.find((s) => s.indicator_id === indicator && s.unit_code === unit);
  return found ? api(`/api/campaigns/${cid}/submissions/${found.id}`) : null;
}

function formHtml(camp, assignment, unit, sub) {
  const status = sub?.status ?? "missing";
  const editable = !sub || EDITABLE.includes(status);
  const disabled = editable ? "" : "disabled";
  const checklist = assignment.kind === "checklist";
  const returned = status === "returned" ? `<div class="notice bad" data-testid="return-reason">${esc(t("reason"))}: ${esc(sub.return_reason ?? "")}</div>` : "";
  const locked = editable ? "" : `<div class="notice" data-testid="read-only">${esc(t("readOnly", { status: t(`st.${status}`) }))}</div>`;
  return `<h1>${esc(t("formTitle"))} · ${esc(assignment.indicator_name)} <span class="muted">${esc(assignment.indicator_id)} · ${esc(camp.unit_names?.[unit] ?? unit)}</span></h1>
    <p><a href="/campaigns/mine" data-link>${esc(t("back"))}</a> · ${esc(camp.name)} · ${esc(t("deadline"))} ${esc(when(camp.deadline))}
    · ${esc(t("status"))} <span data-testid="submission-status">${statusPill(status)}</span>${sub ? ` · ${esc(t("round"))} ${esc(sub.round)}` : ""}</p>
    ${returned}${locked}
    <section class="card"><form id="submission-form" class="form-grid" data-testid="submission-form" novalidate>
      <span class="muted">${esc(t("kind"))}</span><span>${esc(t(checklist ? "checklist" : "statistic"))} · ${esc(t("unitOf"))} ${esc(assignment.unit)}</span>
      ${field("value", `${t("value")} (${assignment.unit})`, `<input id="value" name="value" type="number" step="any" inputmode="decimal" value="${esc(sub?.value ?? "")}" ${disabled}>`)}
      ${checklist ? checklistFields(sub, camp.grades, disabled) : ""}
      ${field("comment", t("comment"), `<textarea id="comment" name="comment" ${disabled}>${esc(sub?.comment ?? "")}</textarea>`)}
      ${field("files", t("files"), `<span><input id="files" name="files" type="file" multiple accept=".pdf,.xlsx,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg" ${disabled}>
        <br><span class="muted">${esc(t("filesHint"))}</span></span>`)}
      <span></span><div class="actions">
        <button type="submit" name="action" value="save" ${disabled}>${esc(t("saveDraft"))}</button>
        <button type="submit" name="action" value="submit" class="primary" ${disabled}>${esc(t("submit"))}</button></div>
    </form><p id="form-msg" role="status" data-testid="form-message"></p></section>
    <section class="card"><h2>${esc(t("evidence"))}</h2>${evidenceList(sub, editable)}</section>
    ${historyTable(sub)}`;
}

function wire(main, cid, indicator, unit) {
  const form = main.querySelector("#submission-form");
  const msg = main.querySelector("#form-msg");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    data.set("indicator_id", indicator);
    data.set("unit_code", unit);
    const action = event.submitter?.value ?? "save";
    data.set("action", action);
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      const saved = await api(`/api/campaigns/${cid}/submissions`, { method: "POST", body: data });
      const key = action === "submit" ? "submittedOk" : "saved";
      sessionStorage.setItem("zhicheng.campaign.msg", t(key, { status: t(`st.${saved.status}`) }));
      go(window.location.pathname + window.location.search);
    } catch (err) {
      msg.textContent = err.message;
      msg.className = "problems";
      msg.setAttribute("role", "alert");
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  });
  for (const button of main.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => download(button.dataset.download, button.dataset.name).catch((err) => { msg.textContent = err.message; }));
  }
  for (const button of main.querySelectorAll("[data-remove]")) {
    button.addEventListener("click", async () => {
      try {
        await api(button.dataset.remove, { method: "DELETE" });
        go(window.location.pathname + window.location.search);
      } catch (err) {
        msg.textContent = err.message;
      }
    });
  }
}

export async function renderSubmit(main, [cid], { stale }) {
  const params = new URLSearchParams(window.location.search);
  const indicator = params.get("indicator") ?? "";
  const unit = params.get("unit") ?? "";
  const camp = await api(`/api/campaigns/${cid}`);
  const assignment = camp.assignments.find((a) => a.indicator_id === indicator);
  if (!assignment) throw new Error(`${indicator} · ${camp.name}`);
  const sub = await findSubmission(cid, indicator, unit);
  if (stale()) return;
  main.innerHTML = formHtml(camp, assignment, unit, sub);
  const note = sessionStorage.getItem("zhicheng.campaign.msg");
  if (note) {
    main.querySelector("#form-msg").textContent = note;
    sessionStorage.removeItem("zhicheng.campaign.msg");
  }
  wire(main, cid, indicator, unit);
}
