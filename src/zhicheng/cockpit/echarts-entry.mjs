// The parts of Apache ECharts the cockpit's pages draw with, bundled by build.mjs into
// static/vendor/echarts.min.js (window.echarts): a smaller script than the full build, so the
// browser compiles less before the first chart. A chart type or component a page starts to use
// is added here (the browser tests would otherwise fail on it).
import * as echarts from "echarts/core";
import { BarChart, LineChart, MapChart, PieChart, RadarChart, ScatterChart } from "echarts/charts";
import {
  DataZoomComponent, GeoComponent, GridComponent, LegendComponent, MarkLineComponent, RadarComponent,
  TitleComponent, TooltipComponent, VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart, LineChart, MapChart, PieChart, RadarChart, ScatterChart,
  DataZoomComponent, GeoComponent, GridComponent, LegendComponent, MarkLineComponent, RadarComponent,
  TitleComponent, TooltipComponent, VisualMapComponent, CanvasRenderer,
]);

window.echarts = echarts;
