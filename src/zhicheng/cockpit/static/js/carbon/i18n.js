// Texts of the carbon page in zh-CN (default) and English.
const TEXT = {
  zh: {
    brand: "碳排放与能源", skip: "跳到主要内容", loading: "正在加载…", otherLang: "EN", switchTo: "Switch to English",
    "nav.label": "碳排放导航", "nav.cockpit": "驾驶舱", "nav.carbon": "碳排放", "ctl.unit": "单元",
    foot: "数据:CEADs 省级与城市二氧化碳排放清单(IPCC 部门法);GDP 为现价。",
    title: "{name} 碳排放", province: "省级清单(47 部门 × 17 燃料 + 水泥过程)", city: "城市排放总量",
    sectors: "分部门排放(IPCC/GPC 部门组,范围一)", totals: "排放总量(范围一)", fuelMix: "{year} 年燃料构成(范围一+二)",
    peak: "达峰判断", peakYear: "峰值年份", peakValue: "峰值", lastYear: "最新年份", lastValue: "最新排放",
    since: "峰值后年数", drop: "较峰值下降", trend: "近5年趋势", rule: "判定规则",
    lmdi: "排放变化驱动因素(LMDI-I 加和分解)", from: "起始年", to: "终止年", change: "变化量", start: "{year} 年排放", end: "{year} 年排放",
    trajectory: "单位GDP碳排放与目标路径(现价)", target: "目标", actual: "实际(现价)", path: "目标路径",
    gap: "与路径差距", needed: "按近期速度达到目标所需年数", onTrack: "符合路径", offTrack: "落后于路径",
    checks: "数据核对与来源", cross: "城市总量与省级清单对比", agrees: "一致", disagrees: "不一致(超过 1%)",
    provenance: "来源", notes: "说明", none: "—", mt: "百万吨 CO2", t10k: "吨 CO2/万元", years: "年", failed: "加载失败:{what}",
    noUnits: "尚无碳排放清单:请先运行 zhicheng carbon load 或 zhicheng demo。", perCapita: "人均排放", perGdp: "单位GDP排放",
  },
  en: {
    brand: "Carbon and energy", skip: "Skip to content", loading: "Loading…", otherLang: "中文", switchTo: "切换到中文",
    "nav.label": "Carbon navigation", "nav.cockpit": "Cockpit", "nav.carbon": "Carbon", "ctl.unit": "Unit",
    foot: "Data: CEADs provincial and city CO2 inventories (IPCC sectoral approach); GDP at current prices.",
    title: "{name}: CO2 emissions", province: "Provincial inventory (47 sectors × 17 fuels + cement process)", city: "City total",
    sectors: "Emissions by sector group (IPCC/GPC, scope 1)", totals: "Total emissions (scope 1)", fuelMix: "Fuel mix {year} (scope 1+2)",
    peak: "Peaking", peakYear: "Peak year", peakValue: "Peak", lastYear: "Latest year", lastValue: "Latest emissions",
    since: "Years since peak", drop: "Below peak", trend: "Trend, last 5 years", rule: "Rule",
    lmdi: "Drivers of the change (additive LMDI-I)", from: "From", to: "To", change: "Change", start: "{year}", end: "{year}",
    trajectory: "CO2 per unit GDP against the target path (current prices)", target: "Target", actual: "Actual (current prices)", path: "Target path",
    gap: "Gap to the path", needed: "Years to the goal at the recent rate", onTrack: "on the path", offTrack: "behind the path",
    checks: "Data checks and sources", cross: "City total against the provincial inventory", agrees: "agree", disagrees: "disagree (> 1 %)",
    provenance: "Sources", notes: "Notes", none: "—", mt: "Mt CO2", t10k: "t CO2 / 10⁴ CNY", years: "years", failed: "Could not load: {what}",
    noUnits: "No CO2 inventories yet: run zhicheng carbon load or zhicheng demo.", perCapita: "Per person", perGdp: "Per unit GDP",
  },
};

export function translate(lang, key, vars = {}) {
  const text = (TEXT[lang] ?? TEXT.zh)[key] ?? TEXT.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}
