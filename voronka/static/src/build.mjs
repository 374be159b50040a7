// Builds voronka/static/dist/: the npm packages the UI needs (from node_modules, installed by
// `npm ci` from the lock file) next to our own sources. No bundler: htmx and SortableJS ship
// ready-to-use browser builds, and our own files are small plain scripts and stylesheets.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const dist = join(here, "..", "dist");

const vendor = {
  "htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
  "Sortable.min.js": "node_modules/sortablejs/Sortable.min.js",
  "echarts.min.js": "node_modules/echarts/dist/echarts.min.js",
  "modern-normalize.css": "node_modules/modern-normalize/modern-normalize.css",
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const [name, source] of Object.entries(vendor)) {
  copyFileSync(join(root, source), join(dist, name));
}
for (const name of readdirSync(here)) {
  if (name.endsWith(".css") || (name.endsWith(".js") && name !== "build.mjs")) {
    copyFileSync(join(here, name), join(dist, name));
  }
}
console.log(`built ${readdirSync(dist).length} files into ${dist}`);
