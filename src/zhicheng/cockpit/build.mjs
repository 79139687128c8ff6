// Build the cockpit's vendor assets: copy Apache ECharts from node_modules into static/vendor.
// Run by `npm run build` (after `npm ci`); the copies are build output and are not committed.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const echarts = join(root, "node_modules", "echarts");
const vendor = join(here, "static", "vendor");

if (!existsSync(join(echarts, "dist", "echarts.min.js"))) {
  console.error("echarts is not installed: run `npm ci` first");
  process.exit(1);
}
mkdirSync(vendor, { recursive: true });
const files = [
  [join(echarts, "dist", "echarts.min.js"), join(vendor, "echarts.min.js")],
  [join(echarts, "LICENSE"), join(vendor, "ECHARTS-LICENSE.txt")],
  [join(echarts, "NOTICE"), join(vendor, "ECHARTS-NOTICE.txt")],
];
for (const [from, to] of files) {
  if (existsSync(from)) copyFileSync(from, to);
}
console.log(`cockpit assets built in ${vendor}`);
