// Loaded first and on its own (async): asks for the overview's data and the base map while
// ECharts and the page's other scripts are still loading. app.js shares this module's state
// (one module map).
import { loadBasemap } from "./charts.js";
import { prefetchOverview } from "./state.js";

prefetchOverview();
if (window.location.pathname === "/") loadBasemap();
