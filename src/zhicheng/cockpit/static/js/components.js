// Pieces more than one page shows: the empty-workspace notice, AQI colours.
import { esc } from "./format.js";
import { t } from "./state.js";

// HJ 633 AQI levels: upper bound and the official colour (HJ 633-2012 Table 2 / HJ 633-2026 Table 1).
const AQI_COLOURS = [[50, "#00e400"], [100, "#ffff00"], [150, "#ff7e00"], [200, "#ff0000"], [300, "#99004c"], [Infinity, "#7e0023"]];

export function aqiColour(aqi) {
  return AQI_COLOURS.find(([hi]) => aqi <= hi)[1];
}

export function emptyState() {
  return `<section class="empty" data-testid="empty-state">
    <h1>${esc(t("emptyTitle"))}</h1>
    <p>${esc(t("emptyBody"))}</p>
    <ol>
      <li>${esc(t("emptyStep1"))} <code>zhicheng ingest &lt;file&gt; --mapping &lt;mapping.yaml&gt;</code></li>
      <li>${esc(t("emptyStep2"))} <code>zhicheng evaluate --period 2020</code></li>
      <li>${esc(t("emptyStep3"))} <code>zhicheng demo</code></li>
    </ol>
  </section>`;
}

