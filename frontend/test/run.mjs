// Runs the unit tests with node's own test runner on any Node.js from 20 on: esbuild
// first turns the TypeScript tests into JavaScript under node_modules/.test/.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "node_modules", ".test");
const tests = readdirSync(here).filter((name) => name.endsWith(".test.ts"));
await build({
  entryPoints: tests.map((name) => join(here, name)),
  outdir,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
});
const run = spawnSync(
  process.execPath,
  ["--test", ...tests.map((name) => join(outdir, name.replace(/\.ts$/, ".mjs")))],
  { stdio: "inherit" },
);
process.exit(run.status ?? 1);
