// Build the cockpit's vendor assets into static/vendor: Apache ECharts bundled from the parts the
// pages use (echarts-entry.mjs, esbuild, minified) and its licence files.
// Run by `npm run build` (after `npm ci`); the output is not committed.
import { buildSync } from "esbuild";
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
buildSync({
  entryPoints: [join(here, "echarts-entry.mjs")], bundle: true, minify: true, format: "iife",
  target: "es2020", outfile: join(vendor, "echarts.min.js"), legalComments: "eof", logLevel: "warning",
});
const files = [
  [join(echarts, "LICENSE"), join(vendor, "ECHARTS-LICENSE.txt")],
  [join(echarts, "NOTICE"), join(vendor, "ECHARTS-NOTICE.txt")],
];
for (const [from, to] of files) {
  if (existsSync(from)) copyFileSync(from, to);
}
console.log(`cockpit assets built in ${vendor}`);
