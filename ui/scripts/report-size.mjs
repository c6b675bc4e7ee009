// Prints the size of the production bundle in dist/: every file, then the total, raw and gzip.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;

/** @param {string} dir @returns {Generator<string>} */
function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

/** @param {number} n */
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
let total = 0;
let totalGzip = 0;
/** @type {Array<[string, number, number]>} */
const rows = [];
for (const path of files(dist)) {
  const bytes = readFileSync(path);
  const gz = gzipSync(bytes, { level: 9 }).length;
  total += bytes.length;
  totalGzip += gz;
  rows.push([relative(dist, path), bytes.length, gz]);
}
rows.sort((a, b) => b[1] - a[1]);
console.log("\nProduction bundle (dist/):");
for (const [name, size, gz] of rows) {
  console.log(`  ${name.padEnd(40)} ${kb(size).padStart(10)}  gzip ${kb(gz).padStart(9)}`);
}
console.log(`  ${"total".padEnd(40)} ${kb(total).padStart(10)}  gzip ${kb(totalGzip).padStart(9)}`);

// The app runs under `script-src 'self'; style-src 'self'`: refuse inline scripts and styles.
const html = readFileSync(join(dist, "index.html"), "utf8");
const inline = [
  /<script(?![^>]*\bsrc=)[^>]*>/i.test(html) && "inline <script>",
  /<style\b/i.test(html) && "inline <style>",
  /\sstyle=/i.test(html) && "style attribute",
].filter(Boolean);
if (inline.length > 0) {
  console.error(`dist/index.html breaks the content security policy: ${inline.join(", ")}`);
  process.exit(1);
}
