// Words of the cockpit's own interface, in Chinese (default) and English.
import { OPS_STRINGS } from "./words_ops.js";

// Names of domains, requirements, indicators and units come from the server in the chosen language.
export const STRINGS = {
  zh: {
    skip: "跳到主要内容", brand: "驾驶舱", "nav.label": "主导航", "nav.overview": "总览", "nav.ranking": "排名", "nav.carbon": "碳排放",
    "ctl.period": "评价期", "ctl.unit": "评价单元", loading: "正在加载…",
    foot: "数据来自本系统存储；地图由存储中的边界离线绘制。",
    switchTo: "Switch to English", otherLang: "EN",
    index: "综合指数", grade: "成熟度等级", rank: "排名", rankOf: "共 {n} 个单元", interval: "排名区间 (Q5–Q95)",
    nextGrade: "距“{name}”还差 {points} 分", topGrade: "已达最高等级", period: "评价期",
    radar: "七大目标域雷达图", domainBars: "目标域得分与目标", map: "单元地图", mapBy: "着色依据",
    ranking: "排名", rankingAll: "完整排名", live: "实时态势", air: "空气质量 (AQI)", events: "城市事件",
    alerts: "预警", openEvents: "未办结事件", overdueEvents: "超期事件", activeAlerts: "生效预警",
    noAir: "暂无空气质量监测站点数据。", noEvents: "暂无城市事件数据。", noAlerts: "当前没有生效的预警。",
    domain: "目标域", requirement: "要求", indicator: "指标", unit: "单元", score: "得分", target: "目标",
    gap: "差距", lift: "可提升指数", coverage: "数据覆盖率", value: "数值", raw: "原始值", group: "分组",
    average: "各单元平均", thisUnit: "本单元", search: "搜索单元", searchPlaceholder: "名称或代码",
    strengths: "优势指标", weaknesses: "短板指标", gaps: "最能提升等级的差距", children: "下级得分",
    across: "各单元对比", overTime: "历年数值", acrossUnits: "各单元数值 ({period})", source: "数据来源批次",
    batch: "批次", file: "来源", ingestedAt: "导入时间", rows: "行数", units: "单元数", share: "覆盖率",
    rankingOf: "排名依据", none: "—", notScored: "未评分", valuePeriod: "数据期", direction: "方向",
    higherBetter: "越高越好", lowerBetter: "越低越好", definition: "定义", stationCount: "{n} 个站点",
    emptyTitle: "还没有评价结果",
    emptyBody: "驾驶舱显示评价结果、实时空气质量、城市事件与预警。当前工作区还没有任何评价运行。",
    emptyStep1: "导入评价单元（含边界）与指标数值：", emptyStep2: "运行一次评价：", emptyStep3: "或一次生成演示工作区：",
    notFound: "未找到：{what}", failed: "加载失败：{what}", needToken: "此服务器的读取需要令牌。",
    tokenLabel: "API 令牌", tokenSave: "保存", unitPage: "单元详情", primary: "首要污染物",
    status: "状态", expected: "应办结时间", department: "部门", service: "类别", started: "开始时间", message: "内容",
  },
  en: {
    skip: "Skip to main content", brand: "Cockpit", "nav.label": "Main navigation", "nav.overview": "Overview",
    "nav.ranking": "Ranking", "nav.carbon": "Carbon", "ctl.period": "Period", "ctl.unit": "Unit", loading: "Loading…",
    foot: "Data from this system's store; the map is drawn offline from stored boundaries.",
    switchTo: "切换到中文", otherLang: "中文",
    index: "Composite index", grade: "Maturity grade", rank: "Rank", rankOf: "of {n} units", interval: "Rank interval (Q5–Q95)",
    nextGrade: "{points} points to “{name}”", topGrade: "Top grade reached", period: "Period",
    radar: "Seven goal domains", domainBars: "Domain scores against targets", map: "Map of units", mapBy: "Colour by",
    ranking: "Ranking", rankingAll: "Full ranking", live: "Live situation", air: "Air quality (AQI)", events: "City events",
    alerts: "Alerts", openEvents: "Open events", overdueEvents: "Overdue events", activeAlerts: "Active alerts",
    noAir: "No air-quality stations yet.", noEvents: "No city events yet.", noAlerts: "No active alerts.",
    domain: "Domain", requirement: "Requirement", indicator: "Indicator", unit: "Unit", score: "Score", target: "Target",
    gap: "Gap", lift: "Index lift", coverage: "Data coverage", value: "Value", raw: "Raw value", group: "Group",
    average: "Average of units", thisUnit: "This unit", search: "Search units", searchPlaceholder: "name or code",
    strengths: "Strengths", weaknesses: "Weaknesses", gaps: "Gaps that lift the grade most", children: "Scores below",
    across: "Across units", overTime: "Values over time", acrossUnits: "Values across units ({period})",
    source: "Source batches", batch: "Batch", file: "Source", ingestedAt: "Ingested", rows: "Rows", units: "Units",
    share: "Coverage", rankingOf: "Rank by", none: "—", notScored: "not scored", valuePeriod: "Data period",
    direction: "Direction", higherBetter: "higher is better", lowerBetter: "lower is better", definition: "Definition",
    stationCount: "{n} stations",
    emptyTitle: "No evaluation results yet",
    emptyBody: "The cockpit shows evaluation results, live air quality, city events and alerts. This workspace has no evaluation run yet.",
    emptyStep1: "Import units (with boundaries) and indicator values:", emptyStep2: "Run an evaluation:",
    emptyStep3: "Or build the demo workspace in one step:",
    notFound: "Not found: {what}", failed: "Could not load: {what}", needToken: "Reads on this server need a token.",
    tokenLabel: "API token", tokenSave: "Save", unitPage: "Unit page", primary: "Primary pollutant",
    status: "Status", expected: "Due", department: "Department", service: "Service", started: "Started", message: "Message",
  },
};

export function translate(lang, key, vars = {}) {
  const text = (STRINGS[lang] && STRINGS[lang][key]) ?? (OPS_STRINGS[lang] && OPS_STRINGS[lang][key])
    ?? STRINGS.zh[key] ?? OPS_STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}
