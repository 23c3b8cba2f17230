// Bundles the page into dist/: main.js (esbuild), index.html and style.css beside it.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";

const dist = new URL("../dist/", import.meta.url);
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [new URL("../src/main.ts", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  outfile: new URL("main.js", dist).pathname,
  loader: { ".json": "json" },
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) {
  await copyFile(new URL(`../${file}`, import.meta.url), new URL(file, dist));
}
