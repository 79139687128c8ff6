// Words of the campaign pages (城市自评), in Chinese (default) and English.
// Indicator names come from the server in the chosen language.
export const STRINGS = {
  zh: {
    skip: "跳到主要内容", brand: "城市自评", "nav.label": "自评导航", "nav.mine": "我的任务", "nav.board": "进度看板",
    "nav.cockpit": "驾驶舱", loading: "正在加载…", foot: "佐证材料只作为附件下载，从不在浏览器中打开或执行。",
    switchTo: "Switch to English", otherLang: "EN", signOut: "更换令牌",
    needToken: "请输入本部门的 API 令牌。", tokenLabel: "API 令牌", tokenSave: "保存",
    forbidden: "无权访问：{what}", notFound: "未找到：{what}", failed: "加载失败：{what}",
    mineTitle: "我的自评任务", digest: "通知", due: "待填报", overdue: "已逾期", returned: "被退回", toReview: "待审核",
    nothingDue: "当前没有待办的填报任务。", campaign: "自评活动", indicator: "指标", unit: "单元", status: "状态",
    deadline: "截止时间", daysLeft: "剩余天数", value: "数值", fill: "填报", view: "查看", reason: "退回原因",
    boardTitle: "自评活动", period: "评价期", departments: "各部门进度", indicators: "各指标进度", department: "部门",
    expected: "应填", completion: "完成率", handedIn: "已提交", approvedN: "已通过", missing: "未开始",
    "st.missing": "未开始", "st.draft": "草稿", "st.submitted": "已提交", "st.returned": "已退回",
    "st.resubmitted": "已重新提交", "st.approved": "已通过",
    review: "审核", approve: "批量通过", returnSel: "批量退回", returnReason: "退回原因", selectAll: "全选",
    reviewDone: "已处理 {n} 项。", noneWaiting: "没有待审核的填报。", submittedBy: "填报人", evidence: "佐证材料",
    formTitle: "填报", kind: "类型", unitOf: "计量单位", answer: "核查情况说明", itemsMet: "满足条目数",
    itemsTotal: "核查条目数", maturity: "成熟度等级", comment: "备注", files: "上传佐证材料",
    filesHint: "PDF、XLSX、PNG 或 JPEG，单个文件不超过限制。", saveDraft: "保存草稿", submit: "提交审核",
    saved: "已保存（{status}）。", submittedOk: "已提交审核（{status}）。", download: "下载", remove: "删除",
    history: "处理记录", at: "时间", actor: "操作人", action: "操作", round: "提交轮次", noEvidence: "尚无佐证材料。",
    readOnly: "此填报当前不可修改（{status}）。", back: "返回我的任务", checklist: "核查清单", statistic: "统计",
    open: "进行中", closed: "已结束",
  },
  en: {
    skip: "Skip to main content", brand: "Self-assessment", "nav.label": "Self-assessment navigation",
    "nav.mine": "My assignments", "nav.board": "Progress board", "nav.cockpit": "Cockpit", loading: "Loading…",
    foot: "Evidence files are only downloaded as attachments, never opened or run in the browser.",
    switchTo: "切换到中文", otherLang: "中文", signOut: "Change token",
    needToken: "Enter your department's API token.", tokenLabel: "API token", tokenSave: "Save",
    forbidden: "Not allowed: {what}", notFound: "Not found: {what}", failed: "Could not load: {what}",
    mineTitle: "My self-assessment assignments", digest: "Notifications", due: "Due", overdue: "Overdue",
    returned: "Returned", toReview: "To review", nothingDue: "Nothing is due right now.", campaign: "Campaign",
    indicator: "Indicator", unit: "Unit", status: "Status", deadline: "Deadline", daysLeft: "Days left", value: "Value",
    fill: "Fill in", view: "View", reason: "Reason returned",
    boardTitle: "Campaigns", period: "Period", departments: "Progress by department", indicators: "Progress by indicator",
    department: "Department", expected: "Expected", completion: "Completion", handedIn: "Handed in",
    approvedN: "Approved", missing: "Not started",
    "st.missing": "not started", "st.draft": "draft", "st.submitted": "submitted", "st.returned": "returned",
    "st.resubmitted": "resubmitted", "st.approved": "approved",
    review: "Review", approve: "Approve selected", returnSel: "Return selected", returnReason: "Reason for returning",
    selectAll: "Select all", reviewDone: "{n} handled.", noneWaiting: "Nothing waits for review.",
    submittedBy: "Submitted by", evidence: "Evidence",
    formTitle: "Submission", kind: "Kind", unitOf: "Unit of measure", answer: "What is in place", itemsMet: "Items met",
    itemsTotal: "Items checked", maturity: "Maturity level", comment: "Comment", files: "Upload evidence",
    filesHint: "PDF, XLSX, PNG or JPEG, each within the size limit.", saveDraft: "Save draft", submit: "Submit for review",
    saved: "Saved ({status}).", submittedOk: "Submitted for review ({status}).", download: "Download", remove: "Remove",
    history: "History", at: "When", actor: "Who", action: "Action", round: "Round", noEvidence: "No evidence yet.",
    readOnly: "This submission cannot be changed now ({status}).", back: "Back to my assignments",
    checklist: "checklist", statistic: "statistic", open: "open", closed: "closed",
  },
};

export function translate(lang, key, vars = {}) {
  const text = (STRINGS[lang] && STRINGS[lang][key]) ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}
