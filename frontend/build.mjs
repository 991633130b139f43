// Builds src/ into the one file the integration serves, with a header that names the
// sha256 of everything the build reads (tests/test_frontend_build.py recomputes it).
// `node build.mjs --check` only tells whether the committed file is up to date.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, "..", "custom_components", "smart_charging", "frontend", "smart-charging-card.js");

function walk(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((item) =>
    item.isDirectory() ? walk(join(folder, item.name)) : [join(folder, item.name)],
  );
}

/** What the build reads: src/, the package and lock files, the build and TS config. */
export function sourceHash() {
  const files = [
    ...walk(join(here, "src")),
    ...["build.mjs", "package.json", "package-lock.json", "tsconfig.json"].map((name) => join(here, name)),
  ]
    .map((file) => relative(here, file).split("\\").join("/"))
    .sort();
  const hash = createHash("sha256");
  for (const name of files) {
    hash.update(name + "\0");
    hash.update(readFileSync(join(here, name)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

const header = () => `/* smart-charging-card, built from frontend/ (npm ci && npm run build); source sha256: ${sourceHash()} */\n`;

if (process.argv.includes("--check")) {
  const first = readFileSync(OUT, "utf8").split("\n", 1)[0] + "\n";
  if (first !== header()) {
    console.error("The built card is out of date: run npm ci && npm run build in frontend/");
    process.exit(1);
  }
  console.log("The built card matches its source.");
} else {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [join(here, "src", "index.ts")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    legalComments: "none",
    write: false,
  });
  writeFileSync(OUT, header() + result.outputFiles[0].text);
  console.log(`wrote ${relative(process.cwd(), OUT)}`);
}
